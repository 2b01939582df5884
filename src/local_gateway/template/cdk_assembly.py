"""A CDK cloud assembly (``cdk synth``'s ``cdk.out/``): which stack's template to serve.

``manifest.json`` lists the assembly's artifacts; each ``aws:cloudformation:stack`` has its
template (``properties.templateFile``, beside the manifest) and its stack name
(``properties.stackName``, else the artifact id, as the CDK CLI deploys it). The stack
served is the one asked for by artifact id, stack name or display name (``Stage/Stack``), or,
when none is asked for, the one stack whose template declares a WebSocket API. Stacks in
nested assemblies (a ``Stage``'s ``assembly-*`` folder) are not looked into.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_gateway.template.cfn_yaml import TemplateError

_WEBSOCKET_TYPES = ("AWS::ApiGatewayV2::Api", "AWS::Serverless::WebSocketApi")


@dataclass(frozen=True, slots=True)
class CdkStack:
    """A stack of the assembly: its artifact id, its stack name and its template."""

    artifact_id: str
    stack_name: str
    display_name: str
    template: Path


def _manifest(cdk_out: Path) -> dict[str, Any]:
    path = cdk_out / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise TemplateError(
            f"--cdk-out {cdk_out}: no manifest.json there (is it the folder cdk synth wrote?)"
        ) from None
    except (OSError, ValueError) as error:
        raise TemplateError(f"--cdk-out {cdk_out}: manifest.json cannot be read: {error}") from None
    if not isinstance(manifest, dict):
        raise TemplateError(f"--cdk-out {cdk_out}: manifest.json is not a cloud assembly")
    return manifest


def stacks(cdk_out: Path) -> list[CdkStack]:
    """The assembly's CloudFormation stacks, in the manifest's order."""
    found = []
    for artifact_id, artifact in (_manifest(cdk_out).get("artifacts") or {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        props = artifact.get("properties") or {}
        found.append(
            CdkStack(
                artifact_id,
                str(props.get("stackName") or artifact_id),
                str(artifact.get("displayName") or artifact_id),
                cdk_out / str(props.get("templateFile", f"{artifact_id}.template.json")),
            )
        )
    return found


def _has_websocket_api(stack: CdkStack) -> bool:
    try:
        resources = json.loads(stack.template.read_text()).get("Resources") or {}
    except (OSError, ValueError, AttributeError):
        return False
    return any(
        resource.get("Type") == _WEBSOCKET_TYPES[1]
        or (
            resource.get("Type") == _WEBSOCKET_TYPES[0]
            and (resource.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
        )
        for resource in resources.values()
        if isinstance(resource, dict)
    )


def cdk_stack(cdk_out: Path, wanted: str | None = None) -> CdkStack:
    """The stack to serve: ``wanted`` (artifact id, stack name or display name), or the one
    stack with a WebSocket API. TemplateError, in one sentence, when there is none or more."""
    every = stacks(cdk_out)
    names = ", ".join(s.artifact_id for s in every) or "none"
    if wanted is not None:
        for stack in every:
            if wanted in (stack.artifact_id, stack.stack_name, stack.display_name):
                if not stack.template.is_file():
                    raise TemplateError(
                        f"--cdk-out {cdk_out}: stack {wanted}'s template {stack.template}"
                        " is not there"
                    )
                return stack
        raise TemplateError(f"--stack {wanted}: {cdk_out} has no such stack (stacks: {names})")
    websocket = [stack for stack in every if _has_websocket_api(stack)]
    if len(websocket) == 1:
        return websocket[0]
    if not websocket:
        raise TemplateError(
            f"--cdk-out {cdk_out}: no stack declares a WebSocket API (stacks: {names})"
        )
    both = ", ".join(s.artifact_id for s in websocket)
    raise TemplateError(
        f"--cdk-out {cdk_out}: stacks {both} each declare a WebSocket API; choose one with --stack"
    )
