"""--watch reloads functions without dropping connections; --dynamodb-endpoint makes the
template's tables on a DynamoDB endpoint (moto's server) and the chat runs on them."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from websockets.asyncio.client import connect

from tests.conftest import FIXTURES, TEMPLATE
from tests.integration.conftest import recv, recv_frame, start_gateway


async def test_watch_reloads_a_changed_function_and_keeps_the_connection(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "behaviours", tmp_path / "api")
    code = tmp_path / "api" / "functions" / "watched_functions.py"
    (tmp_path / "api" / "functions" / "behaviour_functions.py").rename(code)
    template = tmp_path / "api" / "template.yaml"
    template.write_text(template.read_text().replace("behaviour_functions.", "watched_functions."))
    gateway = await start_gateway(template, tmp_path / "state", watch=True, watch_interval=0.1)
    try:
        async with connect(gateway.url) as client:
            await client.send(json.dumps({"action": "echo", "v": 1}))
            assert json.loads(await recv(client)) == {"action": "echo", "v": 1}
            code.write_text(
                code.read_text().replace(
                    'return {"statusCode": 200, "body": event["body"]}',
                    'return {"statusCode": 200, "body": "reloaded: " + event["body"]}',
                )
            )
            for _ in range(50):
                await client.send(json.dumps({"action": "echo", "v": 2}))
                reply = str(await recv(client))
                if reply.startswith("reloaded"):
                    break
                await asyncio.sleep(0.1)
            assert reply == 'reloaded: {"action": "echo", "v": 2}'
    finally:
        await gateway.stop()


@pytest.fixture
def dynamodb_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


async def test_the_chat_runs_on_a_dynamodb_endpoint(dynamodb_endpoint: str, tmp_path: Path) -> None:
    gateway = await start_gateway(TEMPLATE, tmp_path / "state", dynamodb_endpoint=dynamodb_endpoint)
    client = boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    try:
        tables = client.list_tables()["TableNames"]
        assert sorted(tables) == [
            "serverless-chat-ConnectionsTable",
            "serverless-chat-DirectMessagesTable",
            "serverless-chat-MessagesTable",
        ]
        indexes = client.describe_table(TableName="serverless-chat-ConnectionsTable")["Table"]
        assert {i["IndexName"] for i in indexes["GlobalSecondaryIndexes"]} == {
            "room-index",
            "name-index",
            "presence-index",
        }
        a, b = await connect(gateway.url), await connect(gateway.url)
        await a.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
        assert await recv(b) == "Hello AWS"
        rows = client.scan(TableName="serverless-chat-ConnectionsTable")["Items"]
        assert len([r for r in rows if not r["connectionId"]["S"].startswith("#")]) == 2
        messages = client.scan(TableName="serverless-chat-MessagesTable")["Items"]
        assert [m["text"]["S"] for m in messages] == ["Hello AWS"]
        await a.close()
        await b.close()
        # Issue 26: a direct message kept in its own table, read back with the token.
        async with connect(gateway.url + "?name=ana&format=json") as ana:
            await ana.send(json.dumps({"action": "resume", "ref": "r"}))
            token = (await recv_frame(ana, "resumed"))["token"]
            async with connect(gateway.url + "?name=bob&format=json") as bob:
                await bob.send(
                    json.dumps({"action": "sendMessage", "to": "ana", "message": "psst"})
                )
                await recv_frame(bob, "direct")
        directs = client.scan(TableName="serverless-chat-DirectMessagesTable")["Items"]
        assert [(d["text"]["S"], "readerB" in d) for d in directs] == [("psst", False)]
        async with connect(gateway.url + "?name=ana&format=json") as again:
            await again.send(json.dumps({"action": "resume", "token": token}))
            assert await recv_frame(again, "resumed") == {"type": "resumed"}
            await again.send(json.dumps({"action": "directHistory"}))
            page = await recv_frame(again, "directHistory")
            assert [m["text"] for m in page["messages"]] == ["psst"]
    finally:
        await gateway.stop()


@pytest.mark.parametrize("compress", [False, True])
async def test_permessage_deflate_only_with_compress(tmp_path: Path, compress: bool) -> None:
    # Off by default: a connection's compressor holds ~90 KB once it has sent a frame.
    gateway = await start_gateway(TEMPLATE, tmp_path / "state", compress=compress)
    try:
        async with connect(f"{gateway.url}?room=z") as a, connect(f"{gateway.url}?room=z") as b:
            offered = a.response.headers.get("Sec-WebSocket-Extensions", "")
            assert ("permessage-deflate" in offered) is compress
            await a.send(json.dumps({"action": "sendMessage", "message": "Hello AWS"}))
            assert await recv(b) == "Hello AWS"
    finally:
        await gateway.stop()
