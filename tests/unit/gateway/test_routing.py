import pytest

from serverless_chat.gateway.routing import select_route, selected_value, selection_path

ROUTES = {"$connect", "$disconnect", "$default", "sendMessage", "sendmessage"}
PATH = selection_path("$request.body.action")


@pytest.mark.parametrize(
    ("body", "route"),
    [
        ('{"action": "sendMessage", "message": "x"}', "sendMessage"),
        ('{"action": "sendmessage", "message": "x"}', "sendmessage"),
        ('{"action": "SENDMESSAGE"}', "$default"),  # route keys are case-sensitive
        ('{"action": "unknown"}', "$default"),
        ('{"message": "no action"}', "$default"),
        ("not json", "$default"),
        ("", "$default"),
        (None, "$default"),
        ("[1, 2]", "$default"),
        ('{"action": "$connect"}', "$default"),  # a client cannot invoke a $ route
        ('{"action": {"nested": 1}}', "$default"),
        ('{"action": null}', "$default"),
        (b'{"action": "sendMessage"}', "sendMessage"),
    ],
)
def test_route_selection(body: str | bytes | None, route: str) -> None:
    assert select_route(body, PATH, ROUTES) == route


def test_without_default_route_there_is_no_route() -> None:
    assert select_route("not json", PATH, {"sendMessage"}) is None
    assert select_route('{"action": "sendMessage"}', PATH, {"sendMessage"}) == "sendMessage"


def test_nested_selection_path() -> None:
    path = selection_path("$request.body.meta.type")
    assert selected_value('{"meta": {"type": "ping"}}', path) == "ping"
    assert selected_value('{"meta": "flat"}', path) is None


@pytest.mark.parametrize("expression", ["$request.header.x", "action", "$request.body."])
def test_unsupported_expressions(expression: str) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        selection_path(expression)


def test_policy_decisions() -> None:
    from serverless_chat.gateway.server import policy_decision

    def policy(*effects: str, context: object = None) -> dict[str, object]:
        return {
            "principalId": "ana",
            "policyDocument": {
                "Statement": [{"Effect": e, "Action": "execute-api:Invoke"} for e in effects]
            },
            "context": context or {},
        }

    assert policy_decision(policy("Allow", context={"n": 1, "bad": {"x": 1}})) == {
        "principalId": "ana",
        "n": 1,
    }
    assert policy_decision(policy("Deny")) is None
    assert policy_decision(policy("Allow", "Deny")) is None
    assert policy_decision(policy()) is None
    assert policy_decision("not a policy") is None
