import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def lambda_handler(event, context):
    TABLE.put_item(Item={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}
