"""Where the chat's own CloudFormation files are: ``infra/base.yaml``, kept by hand, and
``infra/template.yaml``, generated from it and the route table (``make template``). Found
beside the package's source — the checkout ``make serve`` installs in place — so that every
command finds the chat's template from any folder, not only from the checkout's root.
Dev-time: no entry module imports it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "infra" / "base.yaml"
TEMPLATE = ROOT / "infra" / "template.yaml"
# The chat's stack, deployed (deploy, destroy, outputs) or served (its physical names).
STACK_NAME = "serverless-chat"
