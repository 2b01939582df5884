"""echo: send the message back to its sender, through the callback API."""

import json
import os

import boto3


def lambda_handler(event, context):
    ctx = event["requestContext"]
    message = json.loads(event["body"])["message"]
    client = boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}"
    )
    text = f"{os.environ['GREETING']}: {message}"
    client.post_to_connection(ConnectionId=ctx["connectionId"], Data=text.encode())
    return {"statusCode": 200}
