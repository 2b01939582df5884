"""Who besides the functions may sign calls to the gateway's AWS APIs: the person running
it, with the credentials boto3 finds for the gateway's own process (environment, profile),
so that their scripts on this machine sign as they would for AWS."""

from __future__ import annotations

from local_gateway.functions.credentials import SigningKey


def tools_signing_keys() -> dict[str, SigningKey]:
    """Access key → what the gateway knows of it, for the credentials boto3's default chain
    finds here; empty when it finds none or a profile is broken (only the functions can
    sign then). The instance-metadata provider is left out of the chain: there is no
    instance here, and asking one costs seconds of time-outs."""
    import botocore.credentials
    import botocore.session

    try:
        resolver = botocore.credentials.create_credential_resolver(botocore.session.get_session())
        resolver.remove("iam-role")
        credentials = resolver.load_credentials()
    except Exception:
        return {}
    if credentials is None:
        return {}
    frozen = credentials.get_frozen_credentials()
    return {frozen.access_key: SigningKey(frozen.secret_key, frozen.token or None)}
