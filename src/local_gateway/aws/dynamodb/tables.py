"""The template's tables on a DynamoDB endpoint, made as the template declares them."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from local_gateway.template.model import TableSpec


def create_table(client: Any, table: TableSpec) -> bool:
    """Create a template table as declared (keys, attributes, indexes, TTL), on demand
    capacity; False when it exists already."""
    props = table.properties
    request: dict[str, Any] = {
        "TableName": table.name,
        "AttributeDefinitions": props.get("AttributeDefinitions", []),
        "KeySchema": props.get("KeySchema", []),
        "BillingMode": "PAY_PER_REQUEST",
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            request[key] = [
                {k: v for k, v in index.items() if k != "ProvisionedThroughput"}
                for index in props[key]
            ]
    try:
        client.create_table(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceInUseException":
            return False
        raise
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    return True
