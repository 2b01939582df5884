"""The S3 bucket that holds Lambda packages and templates: found or made once, then reused."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from serverless_chat.adapters.aws_errors import error_status
from serverless_chat.deploy.errors import DeployError


def default_bucket_name(account_id: str, region: str) -> str:
    """Predictable per account and region, so every deploy finds the same bucket."""
    return f"serverless-chat-artifacts-{account_id}-{region}"


class ArtifactBucket:
    """One bucket, reached through an injected boto3 S3 client."""

    def __init__(
        self, s3: Any, name: str, region: str, account_id: str, endpoint_url: str | None = None
    ) -> None:
        self._s3 = s3
        self.name = name
        self.region = region
        self.account_id = account_id
        self.endpoint_url = endpoint_url  # an AWS-compatible endpoint instead of AWS's

    def ensure(self) -> bool:
        """Make the bucket (encrypted, public access blocked) unless it exists; True if made."""
        try:
            self._s3.head_bucket(Bucket=self.name, ExpectedBucketOwner=self.account_id)
            return False
        except ClientError as error:
            status = error_status(error)
            if status == 403:
                raise DeployError(
                    f"The bucket {self.name} exists but is not yours (or you may not use it); "
                    "pass --bucket with a bucket of your own."
                ) from error
            if status != 404:
                raise
        request: dict[str, Any] = {"Bucket": self.name}
        if self.region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self._s3.create_bucket(**request)
        self._s3.put_public_access_block(
            Bucket=self.name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        self._s3.put_bucket_encryption(
            Bucket=self.name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        return True

    def upload(self, key: str, data: bytes) -> bool:
        """Put ``data`` at ``key`` unless it is already there (keys are content hashes)."""
        try:
            self._s3.head_object(Bucket=self.name, Key=key)
            return False
        except ClientError as error:
            if error_status(error) != 404:
                raise
        self._s3.put_object(Bucket=self.name, Key=key, Body=data, ServerSideEncryption="AES256")
        return True

    def url(self, key: str) -> str:
        """The object's URL, as CloudFormation's TemplateURL wants it: virtual-hosted on AWS;
        path-style under an endpoint (an emulator reads a bucket subdomain of itself as a
        path, or not at all)."""
        if self.endpoint_url:
            return f"{self.endpoint_url}/{self.name}/{key}"
        return f"https://{self.name}.s3.{self.region}.amazonaws.com/{key}"
