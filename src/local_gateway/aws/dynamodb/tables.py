"""The template's tables on a DynamoDB endpoint, made as the template declares them, and the
one client the gateway and an application's hook reach that endpoint with."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from local_gateway.template.model import TableSpec

log = logging.getLogger("local_gateway")


# What an endpoint that asks for no particular credentials (DynamoDB Local, moto's own
# server, given with --dynamodb-endpoint) is signed with.
ANY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def dynamodb_client(
    endpoint: str, region: str, credentials: Mapping[str, str] = ANY_CREDENTIALS
) -> Any:
    """A boto3 DynamoDB client for a local endpoint (the embedded one, or
    --dynamodb-endpoint), signing with ``credentials`` (``AWS_ACCESS_KEY_ID`` …): an
    endpoint that does not answer is said at once, not after minutes of retries."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}),
    )


def provision(
    endpoint: str,
    region: str,
    tables: Iterable[TableSpec],
    credentials: Mapping[str, str] = ANY_CREDENTIALS,
) -> None:
    """Make the template's tables on ``endpoint``; those there already are left as they are."""
    client = dynamodb_client(endpoint, region, credentials)
    for table in tables:
        if create_table(client, table):
            log.info("created table %s on %s", table.name, endpoint)


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


def empty_tables(
    endpoint: str,
    region: str,
    tables: Iterable[TableSpec],
    credentials: Mapping[str, str] = ANY_CREDENTIALS,
) -> int:
    """Delete every item of the template's tables on ``endpoint`` (a test's reset: the
    tables stay, as declared); how many items went. A table not there is skipped."""
    client = dynamodb_client(endpoint, region, credentials)
    deleted = 0
    for table in tables:
        keys = [k["AttributeName"] for k in table.properties.get("KeySchema", [])]
        try:
            for page in client.get_paginator("scan").paginate(
                TableName=table.name,
                ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))),
                ExpressionAttributeNames={f"#k{i}": key for i, key in enumerate(keys)},
            ):
                for item in page.get("Items", []):
                    client.delete_item(TableName=table.name, Key={k: item[k] for k in keys})
                    deleted += 1
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
    return deleted
