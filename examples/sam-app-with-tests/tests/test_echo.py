"""The echo app's tests, against the template as API Gateway and Lambda would run it."""

import json

import pytest


def test_a_message_is_echoed_to_its_sender(websocket_api):
    with websocket_api.connect({"name": "ana"}) as ana:
        ana.send({"action": "echo", "message": "hello"})
        assert ana.recv() == "echo: hello"
    (event,) = websocket_api.events("EchoFunction")
    assert event["requestContext"]["routeKey"] == "echo"


def test_connect_records_the_connection_in_the_table(websocket_api):
    websocket_api.connect({"name": "bob"})
    (connect,) = websocket_api.answered("ConnectFunction")
    assert "connected bob" in "\n".join(websocket_api.logs("ConnectFunction"))
    rows = websocket_api.dynamodb_client().scan(TableName=_table(websocket_api))["Items"]
    assert rows == [
        {
            "connectionId": {"S": connect.event["requestContext"]["connectionId"]},
            "name": {"S": "bob"},
        }
    ]


def test_each_test_starts_with_empty_tables(websocket_api):
    assert websocket_api.dynamodb_client().scan(TableName=_table(websocket_api))["Items"] == []


def test_posting_to_a_closed_connection_is_gone(websocket_api):
    client = websocket_api.connect()
    (connect,) = websocket_api.answered("ConnectFunction")
    client.close()
    management = websocket_api.management_client()
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(
            ConnectionId=connect.event["requestContext"]["connectionId"], Data=b"late"
        )


@pytest.mark.websocket_api("template.yaml", parameters={"Greeting": "hi"})
def test_parameters_reach_the_functions(websocket_api):
    with websocket_api.connect() as client:
        client.send(json.dumps({"action": "echo", "message": "there"}))
        assert client.recv() == "hi: there"


def test_invoke_runs_one_function_with_your_event(websocket_api):
    event = {"requestContext": {"connectionId": "abc"}, "body": "{}"}
    assert websocket_api.invoke("DisconnectFunction", event) == {"statusCode": 200}


def _table(api):
    (name,) = api.dynamodb_client().list_tables()["TableNames"]
    return name
