"""Lambda entry points. Thin: read the event, call the chat, return a proxy response.

Each module exposes ``handler`` (the Lambda entry, which builds boto3 adapters
from the environment once per container) and ``build_handler(dependencies)``
(the same logic with its ports injected: tests and the local gateway use it).
Runtime imports: the standard library and boto3 only.
"""

# Every Lambda entry module, as infra/template.yaml names them (a test checks).
ENTRY_MODULES = tuple(
    f"serverless_chat.handlers.{name}"
    for name in (
        "connect",
        "disconnect",
        "send_message",
        "default",
        "join",
        "set_name",
        "history",
        "who",
        "authorize",
        "fanout",
    )
)
