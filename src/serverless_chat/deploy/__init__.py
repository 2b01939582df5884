"""Dev-time: packaging the runtime code and deploying the stack with CloudFormation (boto3)."""
