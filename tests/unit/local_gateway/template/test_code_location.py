"""Where a function's code is, as each tool leaves it, and the one sentence that refuses the
start when it is not there (template/code_location.py, model.check_code)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.model import check_code, read_api
from tests.conftest import FIXTURES

CDK_OUT = FIXTURES / "cdk_chat" / "cdk.out"
SLS = FIXTURES / "serverless_chat_sls" / ".serverless"
API = {
    "Api": {
        "Type": "AWS::ApiGatewayV2::Api",
        "Properties": {
            "ProtocolType": "WEBSOCKET",
            "RouteSelectionExpression": "$request.body.action",
        },
    }
}


def _template(folder: Path, function: dict[str, Any], name: str = "template.json") -> Path:
    resources = {**API, "Fn": {"Type": "AWS::Lambda::Function", **function}}
    path = folder / name
    path.write_text(json.dumps({"Resources": resources}))
    return path


def _refusal(template: Path) -> str:
    with pytest.raises(TemplateError) as raised:
        check_code(read_api(template))
    return str(raised.value)


def _lambda(code: Any, runtime: str = "python3.12", **extra: Any) -> dict[str, Any]:
    props = {"Handler": "app.handler", "Runtime": runtime, "Code": code}
    return {"Properties": props, **extra}


def test_a_cdk_function_and_its_layer_come_from_their_assets() -> None:
    api = read_api(CDK_OUT / "ChatStack.template.json")
    check_code(api)
    connect = api.functions["ConnectHandler2FFD52D8"]
    assert connect.code_dir == CDK_OUT / (
        "asset.6f024a7f42b3235c3b6eaba4c25554cf7345db7b5a055be6bc3681e8bd7744ac"
    )
    assert connect.layers == (
        CDK_OUT / "asset.d61d6acdb93d2b976c7bb9a83345767afb78678c66380820eefd8beab275a25a",
    )
    assert connect.cdk_path == "ChatStack/ConnectHandler"
    assert connect.described == "ConnectHandler2FFD52D8 (ChatStack/ConnectHandler)"


def test_without_metadata_the_assets_manifest_names_the_asset(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    shutil.copytree(CDK_OUT, cdk_out)
    template = json.loads((cdk_out / "ChatStack.template.json").read_text())
    for resource in template["Resources"].values():
        resource.pop("Metadata", None)  # (cdk synth --no-asset-metadata)
    (cdk_out / "ChatStack.template.json").write_text(json.dumps(template))
    api = read_api(cdk_out / "ChatStack.template.json")
    check_code(api)
    assert api.functions["ConnectHandler2FFD52D8"].code_dir == cdk_out / (
        "asset.6f024a7f42b3235c3b6eaba4c25554cf7345db7b5a055be6bc3681e8bd7744ac"
    )


def test_a_missing_cdk_asset_refuses_the_start_naming_the_function(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    shutil.copytree(CDK_OUT, cdk_out)
    asset = cdk_out / "asset.6f024a7f42b3235c3b6eaba4c25554cf7345db7b5a055be6bc3681e8bd7744ac"
    shutil.rmtree(asset)
    assert _refusal(cdk_out / "ChatStack.template.json") == (
        "function ConnectHandler2FFD52D8 (ChatStack/ConnectHandler) has no code to run:"
        f" looked at {asset} (Metadata aws:asset:path): not there"
    )


def test_a_missing_layer_asset_refuses_the_start(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    shutil.copytree(CDK_OUT, cdk_out)
    layer = cdk_out / "asset.d61d6acdb93d2b976c7bb9a83345767afb78678c66380820eefd8beab275a25a"
    shutil.rmtree(layer)
    message = _refusal(cdk_out / "ChatStack.template.json")
    assert message.startswith("function ConnectHandler2FFD52D8 (ChatStack/ConnectHandler) has")
    assert f"its layer ChatCommon9D2EA81B: looked at {layer}" in message
    assert message.endswith("(and 3 more functions)")


def test_a_serverless_package_zip_is_found_by_its_s3_key() -> None:
    api = read_api(SLS / "cloudformation-template-update-stack.json")
    check_code(api)
    assert {spec.code_dir for spec in api.functions.values()} == {SLS / "sls-chat.zip"}


def test_a_missing_serverless_artefact_refuses_the_start(tmp_path: Path) -> None:
    package = tmp_path / ".serverless"
    shutil.copytree(SLS, package)
    (package / "sls-chat.zip").unlink()
    message = _refusal(package / "cloudformation-template-update-stack.json")
    assert message.startswith("function ConnectLambdaFunction has no code to run: looked at")
    assert f"{package / 'sls-chat.zip'} ({package / 'serverless-state.json'}): not there" in message


def test_s3_code_no_tool_names_is_refused(tmp_path: Path) -> None:
    template = _template(tmp_path, _lambda({"S3Bucket": "builds", "S3Key": "fn.zip"}))
    assert _refusal(template) == (
        "function Fn has no code to run: its code is s3://builds/fn.zip, in S3; looked for a"
        " CDK asset (Metadata aws:asset:path, <Stack>.assets.json) and a Serverless Framework"
        f" artefact (serverless-state.json) in {tmp_path} and found none that names it"
    )


def test_a_local_folder_that_is_not_there_is_refused(tmp_path: Path) -> None:
    template = _template(tmp_path, _lambda("build/fn"))
    assert _refusal(template) == (
        f"function Fn has no code to run: looked at {tmp_path / 'build' / 'fn'} (Code): not there"
    )


@pytest.mark.parametrize(
    "function",
    [
        _lambda({"ZipFile": "def handler(e, c): pass"}),  # inline: named at start, not refused
        _lambda("missing/", runtime="nodejs20.x"),  # never run here
    ],
)
def test_what_is_not_looked_for_is_not_refused(tmp_path: Path, function: dict[str, Any]) -> None:
    check_code(read_api(_template(tmp_path, function)))


def test_chalice_package_output_keeps_its_deployment_zip(tmp_path: Path) -> None:
    """chalice package: an AWS::Serverless::Function with CodeUri ./deployment.zip."""
    (tmp_path / "deployment.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    resources = {
        **API,
        "WebsocketHandler": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "app.app",
                "CodeUri": "./deployment.zip",
            },
        },
    }
    template = tmp_path / "sam.json"
    template.write_text(json.dumps({"Resources": resources}))
    api = read_api(template)
    check_code(api)
    assert api.functions["WebsocketHandler"].code_dir == tmp_path / "deployment.zip"
    (tmp_path / "deployment.zip").unlink()
    assert _refusal(template) == (
        "function WebsocketHandler has no code to run:"
        f" looked at {tmp_path / 'deployment.zip'} (CodeUri): not there"
    )
