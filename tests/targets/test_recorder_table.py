"""The recorder as a deployed stage runs it — no RecordFile, so every event an item of its
Records table, written through its role's dynamodb:PutItem — served by the local gateway on
its embedded DynamoDB, and read back as the deployed-stage target reads it (TableEvents):
the one part of that target this machine can run (the stack on AWS has not been run here)."""

from __future__ import annotations

import asyncio

from websockets.asyncio.client import connect

from local_gateway.testing.plugin import Factory
from tests.targets.deployable import RECORDER
from tests.targets.targets import TableEvents, Target


async def test_events_land_in_the_records_table_in_the_order_they_came(
    websocket_api_factory: Factory,
) -> None:
    api = websocket_api_factory(RECORDER)
    dynamodb = api.dynamodb_client()
    (table,) = dynamodb.list_tables()["TableNames"]
    target = Target("table", api.url, api.management_client, TableEvents(dynamodb, table))
    async with connect(f"{api.url}?probe=p1") as client:
        connected = await target.connect_event("p1")
        assert connected is not None
        await client.send('{"service": "chat", "action": "join"}')
        assert await asyncio.wait_for(client.recv(), 30) == "joined"
    connection_id = connected["requestContext"]["connectionId"]
    assert await target.event(connection_id, "$disconnect") is not None
    routes = [e["requestContext"]["routeKey"] for e in target.events(connection_id)]
    assert routes == ["$connect", "chat/join", "$disconnect"]
