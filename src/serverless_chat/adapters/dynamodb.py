"""ConnectionStore on DynamoDB, through an injected low-level boto3 client.

The low-level client (not the resource API) keeps the cold start small and the
item shapes explicit. Every SDK failure becomes a :class:`StoreError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from serverless_chat.errors import StoreError
from serverless_chat.ports import ConnectionRecord


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        return f"{err.get('Code', 'Unknown')}: {err.get('Message', '')}".rstrip(": ")
    return str(error)


class DynamoDbConnectionStore:
    """Connections in a DynamoDB table whose partition key is ``connectionId`` (S)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def put(self, record: ConnectionRecord) -> None:
        item = {
            "connectionId": {"S": record.connection_id},
            "connectedAt": {"N": str(record.connected_at)},
            "expiresAt": {"N": str(record.expires_at)},
        }
        try:
            self._client.put_item(TableName=self.table_name, Item=item)
        except (ClientError, BotoCoreError) as error:
            raise StoreError("PutItem", _reason(error)) from error

    def delete(self, connection_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self.table_name, Key={"connectionId": {"S": connection_id}}
            )
        except (ClientError, BotoCoreError) as error:
            raise StoreError("DeleteItem", _reason(error)) from error

    def get(self, connection_id: str) -> ConnectionRecord | None:
        try:
            response = self._client.get_item(
                TableName=self.table_name,
                Key={"connectionId": {"S": connection_id}},
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise StoreError("GetItem", _reason(error)) from error
        item = response.get("Item")
        return _record(item) if item else None

    def scan(self, page_size: int = 100) -> Iterator[ConnectionRecord]:
        request: dict[str, Any] = {"TableName": self.table_name, "Limit": page_size}
        while True:
            try:
                page = self._client.scan(**request)
            except (ClientError, BotoCoreError) as error:
                raise StoreError("Scan", _reason(error)) from error
            for item in page.get("Items", []):
                yield _record(item)
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return
            request["ExclusiveStartKey"] = last_key


def _record(item: dict[str, Any]) -> ConnectionRecord:
    """A record from a DynamoDB item; rows written by older code may lack the numbers."""
    return ConnectionRecord(
        connection_id=item["connectionId"]["S"],
        connected_at=int(item.get("connectedAt", {}).get("N", "0")),
        expires_at=int(item.get("expiresAt", {}).get("N", "0")),
    )
