import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
CLIENTS = {}


def lambda_handler(event, context):
    ctx = event["requestContext"]
    endpoint = f"https://{ctx['domainName']}/{ctx['stage']}"
    if endpoint not in CLIENTS:
        CLIENTS[endpoint] = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    client = CLIENTS[endpoint]
    data = json.loads(event["body"])["message"].encode()
    for item in TABLE.scan(ProjectionExpression="connectionId")["Items"]:
        if item["connectionId"] != ctx["connectionId"]:
            try:
                client.post_to_connection(ConnectionId=item["connectionId"], Data=data)
            except client.exceptions.GoneException:
                TABLE.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200}
