"""Which stack of a CDK cloud assembly (cdk synth's cdk.out/manifest.json) is served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_gateway.template.cdk_assembly import cdk_stack
from local_gateway.template.cfn_yaml import TemplateError
from tests.conftest import FIXTURES

WEBSOCKET = {"Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}}}
HTTP = {"Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}}}


def _assembly(folder: Path, templates: dict[str, dict[str, object]]) -> Path:
    artifacts: dict[str, object] = {"Tree": {"type": "cdk:tree", "properties": {"file": "t"}}}
    for stack, resources in templates.items():
        (folder / f"{stack}.template.json").write_text(json.dumps({"Resources": resources}))
        artifacts[stack] = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"{stack}.template.json"},
            "displayName": f"Prod/{stack}",
        }
    (folder / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))
    return folder


def test_the_one_websocket_stack_needs_no_name() -> None:
    stack = cdk_stack(FIXTURES / "cdk_chat" / "cdk.out")
    assert (stack.artifact_id, stack.stack_name) == ("ChatStack", "ChatStack")
    assert stack.template == FIXTURES / "cdk_chat" / "cdk.out" / "ChatStack.template.json"


def test_the_websocket_stack_is_found_among_others(tmp_path: Path) -> None:
    cdk_out = _assembly(tmp_path, {"Data": {}, "Http": HTTP, "Chat": WEBSOCKET})
    assert cdk_stack(cdk_out).artifact_id == "Chat"


@pytest.mark.parametrize("name", ["Http", "Prod/Http"])
def test_a_stack_is_chosen_by_id_or_display_name(tmp_path: Path, name: str) -> None:
    cdk_out = _assembly(tmp_path, {"Chat": WEBSOCKET, "Http": HTTP})
    assert cdk_stack(cdk_out, name).artifact_id == "Http"


def test_a_stack_name_in_the_manifest_is_the_stack_name(tmp_path: Path) -> None:
    cdk_out = _assembly(tmp_path, {"Chat": WEBSOCKET})
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    manifest["artifacts"]["Chat"]["properties"]["stackName"] = "chat-prod"
    (cdk_out / "manifest.json").write_text(json.dumps(manifest))
    assert cdk_stack(cdk_out, "chat-prod").stack_name == "chat-prod"


def test_two_websocket_stacks_and_no_stack_named(tmp_path: Path) -> None:
    cdk_out = _assembly(tmp_path, {"ChatA": WEBSOCKET, "ChatB": WEBSOCKET})
    with pytest.raises(TemplateError) as raised:
        cdk_stack(cdk_out)
    assert str(raised.value) == (
        f"--cdk-out {cdk_out}: stacks ChatA, ChatB each declare a WebSocket API;"
        " choose one with --stack"
    )


def test_an_unknown_stack(tmp_path: Path) -> None:
    cdk_out = _assembly(tmp_path, {"ChatA": WEBSOCKET, "ChatB": WEBSOCKET})
    with pytest.raises(TemplateError) as raised:
        cdk_stack(cdk_out, "Nope")
    assert str(raised.value) == f"--stack Nope: {cdk_out} has no such stack (stacks: ChatA, ChatB)"


def test_no_websocket_stack(tmp_path: Path) -> None:
    cdk_out = _assembly(tmp_path, {"Http": HTTP})
    with pytest.raises(TemplateError, match="no stack declares a WebSocket API"):
        cdk_stack(cdk_out)


def test_a_folder_without_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"no manifest\.json there"):
        cdk_stack(tmp_path)


def test_a_stack_whose_template_is_gone(tmp_path: Path) -> None:
    cdk_out = _assembly(tmp_path, {"Chat": WEBSOCKET})
    (cdk_out / "Chat.template.json").unlink()
    with pytest.raises(TemplateError, match=r"Chat\.template\.json is not there"):
        cdk_stack(cdk_out, "Chat")
