"""Adapters of the ports: the stores on DynamoDB, SQLite and in memory; the callback API
signed over plain HTTP or through boto3; fan-out pages by Lambda's asynchronous Invoke;
metrics as CloudWatch EMF lines or counters. Each raises serverless_chat.errors, never its
SDK's."""
