import json
from datetime import UTC, datetime

from serverless_chat.chat.usage import USAGE_PREFIX, usage_reply
from serverless_chat.ports import ConnectionInfo


def test_usage_reply_has_the_original_text_and_connection_info() -> None:
    when = datetime(2024, 2, 9, 18, 11, 43, tzinfo=UTC)
    reply = usage_reply("abc=", ConnectionInfo(when, when, "192.0.2.1", "agent")).decode()
    assert reply.startswith("Use the sendMessage route to send a message. Your info: ")
    info = json.loads(reply[len(USAGE_PREFIX) :])
    assert info == {
        "ConnectedAt": "2024-02-09T18:11:43+00:00",
        "Identity": {"SourceIp": "192.0.2.1", "UserAgent": "agent"},
        "LastActiveAt": "2024-02-09T18:11:43+00:00",
        "connectionID": "abc=",
    }
