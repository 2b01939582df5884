"""serverless-chat template: the CloudFormation template written out, or made standalone
(every function's code inline) for the CloudFormation console."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from serverless_chat.cli.arguments import add_command, sentence
from serverless_chat.infra import TEMPLATE

if TYPE_CHECKING:
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    template = add_command(commands, "template", run, help="write the CloudFormation template")
    template.add_argument(
        "--template",
        type=Path,
        default=TEMPLATE,
        help="the template to read (default: the chat's infra/template.yaml)",
    )
    template.add_argument(
        "--standalone",
        action="store_true",
        help="one file with every function's code inline, for the CloudFormation console",
    )
    template.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")


def _websocket_apis(template: dict[str, Any]) -> list[str]:
    resources = template.get("Resources")
    apis = []
    for logical_id, resource in (resources if isinstance(resources, dict) else {}).items():
        if not isinstance(resource, dict):
            continue
        kind = resource.get("Type")
        props = resource.get("Properties")
        protocol = props.get("ProtocolType") if isinstance(props, dict) else None
        if kind == "AWS::Serverless::WebSocketApi" or (
            kind == "AWS::ApiGatewayV2::Api" and protocol == "WEBSOCKET"
        ):
            apis.append(str(logical_id))
    return apis


def run(args: argparse.Namespace) -> int:
    from local_gateway import TemplateError, load_template
    from serverless_chat.deploy.standalone import dump_template, standalone_template

    try:
        template = load_template(args.template)
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not _websocket_apis(template):
        print(
            f"error: {args.template} has no WebSocket API (an AWS::ApiGatewayV2::Api with"
            " ProtocolType WEBSOCKET, or an AWS::Serverless::WebSocketApi): nothing to write",
            file=sys.stderr,
        )
        return 2
    if args.standalone:
        standalone = standalone_template(template)
        if standalone == template:
            print(
                f"error: no function in {args.template} has local code (Code: a folder) to"
                " put inline",
                file=sys.stderr,
            )
            return 2
        template = standalone
    text = dump_template(template)
    if args.output:
        try:
            args.output.write_text(text)
        except OSError as error:
            print(
                f"error: cannot write {args.output}: {error.strerror or sentence(error)}",
                file=sys.stderr,
            )
            return 1
        print(f"wrote {args.output} ({len(text) // 1024} KB)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
