"""Canary secrets: unique strings in the real shapes, planted everywhere a secret travels.

Each is long and unlikely enough that finding it (or an encoded or masked form of it) anywhere on disk
can only mean it leaked. Letters and digits only after the real prefix, as the service's own ids are,
so the redaction rules meet the shapes they were written for.
"""

from __future__ import annotations

from pytest_imagegen.emulator.error_replies import mask_key

__all__ = [
    "API_KEY",
    "CANARIES",
    "COOKIE_SECRET",
    "END_USER",
    "GATEWAY_TOKEN",
    "GOOGLE_API_KEY",
    "GOOGLE_WRONG_KEY",
    "ORGANIZATION",
    "PATH_USER",
    "PROJECT",
    "SAFETY_ID",
    "WRONG_KEY",
]

API_KEY = "sk-proj-CANARYKEYq7Z3xR9mW2pL5vN8bT4kH6jD1fG0sAeY"
WRONG_KEY = "sk-proj-CANARYWRONGKEYu4Jc8Vn2Qx6Rz1Ww9Kp3Ld7Ms"
ORGANIZATION = "org-CANARYORGa1B2c3D4e5F6g"
PROJECT = "proj_CANARYPROJh7I8j9K0l1M2n"
COOKIE_SECRET = "CANARYCOOKIEo3P4q5R6s7T8u9V0"
PATH_USER = "user-CANARYUSERw1X2y3Z4a5B6c"  # the account's user id in dall-e URL paths
END_USER = "CANARYENDUSER-d7E8f9G0h1"  # the ``user`` field: an id of the caller's own end user
SAFETY_ID = "CANARYSAFETYID-i2J3k4L5m6"  # ``safety_identifier``: the same, by its newer name

# The Gemini API's key shape is "AIza" and 35 more characters; built from pieces so that no scanner takes
# this file for a leak. A gateway's own token travels in a header of its own (cf-aig-token, x-...-key).
GOOGLE_API_KEY = "AIza" + "Sy" + "CANARYGOOGLEKEYb7Q2wE5rT8yU1iO4pA"
GOOGLE_WRONG_KEY = "AIza" + "Sy" + "CANARYGOOGLEWRONGd3F6gH9jK2lZ5xRk"
GATEWAY_TOKEN = "CANARYGATEWAYTOKEN-" + "n1M4b7V0c3X6z9L2"

CANARIES: dict[str, str] = {
    "api key": API_KEY,
    "wrong api key": WRONG_KEY,
    "api key as a 401 masks it": mask_key(API_KEY),
    "wrong api key as a 401 masks it": mask_key(WRONG_KEY),
    "organization": ORGANIZATION,
    "project": PROJECT,
    "cookie secret": COOKIE_SECRET,
    "dall-e path user": PATH_USER,
    "end user": END_USER,
    "safety identifier": SAFETY_ID,
    "google api key": GOOGLE_API_KEY,
    "wrong google api key": GOOGLE_WRONG_KEY,
    "gateway token": GATEWAY_TOKEN,
}
