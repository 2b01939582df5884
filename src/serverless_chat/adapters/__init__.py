"""Adapters of the ports: DynamoDB and SQLite stores, the callback API over boto3."""
