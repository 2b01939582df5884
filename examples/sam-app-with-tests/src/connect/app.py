"""$connect: remember the connection (and its ?name=)."""

import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "anonymous")
    TABLE.put_item(Item={"connectionId": event["requestContext"]["connectionId"], "name": name})
    print(f"connected {name}")
    return {"statusCode": 200}
