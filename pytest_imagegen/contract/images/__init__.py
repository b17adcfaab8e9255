"""The Images API (``POST /v1/images/generations``, ``/edits``, ``/variations``): the ``images`` shape.

Request and reply models, request validation and reply checks; ``pytest_imagegen.contract`` exports its
public names.
"""
