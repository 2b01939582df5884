"""Each function's credentials are its own and new at every start, as STS issues a role's
temporary credentials ("Temporary security credentials in IAM", IAM User Guide; Lambda
hands them to a function as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
"Defined runtime environment variables", Lambda Developer Guide): a signature made with one
function's secret proves that function signed, and no function can sign as another."""

from __future__ import annotations

import re
from pathlib import Path

from local_gateway.functions.credentials import issue_credentials
from local_gateway.functions.runner import FunctionRunner, RunnerConfig
from local_gateway.template.model import FunctionSpec


def _spec(logical_id: str) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=logical_id.lower(),
        handler="app.handler",
        code_dir=None,
        runtime="python3.13",
        environment={},
        timeout=3.0,
    )


def test_temporary_credentials_have_stss_shape_and_are_random() -> None:
    first, second = issue_credentials(), issue_credentials()
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", first["AWS_ACCESS_KEY_ID"])
    for key in first:
        assert first[key] != second[key]
    assert len(first["AWS_SECRET_ACCESS_KEY"]) >= 40


async def test_no_two_functions_and_no_two_starts_share_a_key_a_secret_or_a_token(
    tmp_path: Path,
) -> None:
    specs = {name: _spec(name) for name in ("Connect", "Send")}
    runs = [FunctionRunner(specs, None, RunnerConfig(state_dir=tmp_path)) for _ in range(2)]
    try:
        issued = [run.credentials(name) for run in runs for name in specs]
        for field in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            assert len({c[field] for c in issued}) == len(issued), field
        for name in specs:  # nothing in them derives from the function's name or id
            assert name.upper() not in issued[0]["AWS_ACCESS_KEY_ID"]
            assert name not in issued[0]["AWS_SESSION_TOKEN"]
        connect = runs[0].credentials("Connect")
        send = runs[0].credentials("Send")
        # A function knows only its own secret: the other's key does not take it.
        other = runs[0].signing_key(send["AWS_ACCESS_KEY_ID"])
        assert other is not None
        assert other.secret != connect["AWS_SECRET_ACCESS_KEY"]
        assert runs[1].signing_key(connect["AWS_ACCESS_KEY_ID"]) is None  # the last start's
    finally:
        for run in runs:
            await run.shutdown()
