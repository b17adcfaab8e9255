"""The base of every model of the contract, whatever the API shape.

``extra="allow"``: the APIs add fields faster than any model follows, so an unknown field is no schema
error (strict mode reports it instead, see ``problems``); ``strict``: no coercion, a ``"1"`` is not a
``1``; ``frozen``: a parsed request or reply is a value.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ContractModel"]


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
