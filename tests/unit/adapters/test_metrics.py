import json

from serverless_chat.adapters.metrics import METRIC_NAMES, EmbeddedMetrics


def test_one_emf_line_per_flush_with_zeros_and_a_reset() -> None:
    lines: list[str] = []
    metrics = EmbeddedMetrics("ServerlessChat", {"Stage": "production"}, lines.append, lambda: 1.5)
    metrics.count("Deliveries", 3)
    metrics.count("MessagesSent")
    metrics.flush()
    metrics.flush()
    first, second = (json.loads(line) for line in lines)
    directive = first["_aws"]["CloudWatchMetrics"][0]
    assert first["_aws"]["Timestamp"] == 1500
    assert directive["Namespace"] == "ServerlessChat"
    assert directive["Dimensions"] == [["Stage"]]
    assert {m["Name"] for m in directive["Metrics"]} == set(METRIC_NAMES)
    assert all(m["Unit"] == "Count" for m in directive["Metrics"])
    assert first["Stage"] == "production"
    assert (first["Deliveries"], first["MessagesSent"], first["ConnectionsOpened"]) == (3, 1, 0)
    assert second["Deliveries"] == 0
