"""Lambda entry points. Thin: read the event, call the chat, return a proxy response.

Each module exposes ``handler`` (the Lambda entry, which builds boto3 adapters
from the environment once per container) and ``build_handler(dependencies)``
(the same logic with its ports injected: tests and the local gateway use it).
Runtime imports: the standard library and boto3 (and PyJWT, which the authorizer ships
with). Which modules are entries, and the functions and routes they are deployed as, is
the table in :mod:`serverless_chat.routes` (``ENTRY_MODULES``); this package does not
import it, so a cold start does not pay for it.
"""
