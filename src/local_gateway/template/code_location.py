"""Where a function's (or a layer's) code is on this machine, as the tool that wrote the
template left it: ``locate``.

- A local path (``CodeUri: src/``, ``Code: build/fn.zip``, ``sam build``'s
  ``CodeUri: ConnectFunction``): relative to the template's folder.
- CDK (``cdk synth``): ``Code`` is ``{S3Bucket: cdk-hnb659fds-assets-..., S3Key: <hash>.zip}``;
  the resource's ``Metadata`` names the asset (``aws:asset:path``, a folder or file under
  cdk.out, for the property ``aws:asset:property``), and the stack's ``<Stack>.assets.json``
  beside the template maps each S3 object key to its source (``files.<hash>.source.path``).
- The Serverless Framework (``serverless package``): ``Code`` is ``{S3Bucket: {Ref:
  ServerlessDeploymentBucket}, S3Key: serverless/<service>/<stage>/<time>/<name>.zip}``; the
  zip sits beside the template in ``.serverless/``, and ``serverless-state.json`` there names
  the key's folder (``package.artifactDirectoryName``).

What is looked at is said in words, so that a function whose code is not found is refused
at start with a sentence naming where it looked (``CodeLocation.missing``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

SERVERLESS_STATE = "serverless-state.json"


@dataclass(frozen=True, slots=True)
class CodeLocation:
    """The local code (None: there is none to run) and, when it was expected on this
    machine but is not there, a sentence saying where it was looked for."""

    path: Path | None
    missing: str = ""
    inline: bool = False  # Code.ZipFile / InlineCode: not a file at all


@dataclass(frozen=True, slots=True)
class ToolArtefacts:
    """What the tool that wrote the template left beside it."""

    folder: Path
    # A CDK stack's assets manifest: S3 object key -> the asset's local path.
    cdk_manifest: Path | None = None
    cdk_assets: Mapping[str, Path] = field(default_factory=dict)
    # A Serverless Framework package: the S3 folder its artefacts are uploaded to.
    serverless_state: Path | None = None
    serverless_prefix: str = ""


def tool_artefacts(template: Path) -> ToolArtefacts:
    """The CDK assets manifest (``<Stack>.assets.json`` for ``<Stack>.template.json``) and
    the Serverless Framework's ``serverless-state.json`` beside ``template``, when there."""
    folder = template.parent
    manifest: Path | None = folder / (template.name.removesuffix(".template.json") + ".assets.json")
    if not template.name.endswith(".template.json") or not manifest or not manifest.is_file():
        manifest = None
    cdk_assets: dict[str, Path] = {}
    if manifest is not None:
        for asset in (_json(manifest).get("files") or {}).values():
            source = asset.get("source") or {}
            if "path" not in source:  # built by a command at publish time: not here
                continue
            for destination in (asset.get("destinations") or {}).values():
                cdk_assets[str(destination.get("objectKey"))] = folder / str(source["path"])
    state = folder / SERVERLESS_STATE
    prefix = ""
    if state.is_file():
        prefix = str((_json(state).get("package") or {}).get("artifactDirectoryName") or "")
    return ToolArtefacts(
        folder,
        manifest,
        cdk_assets,
        state if state.is_file() else None,
        prefix,
    )


def _json(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def locate(
    artefacts: ToolArtefacts,
    resource: Mapping[str, Any],
    prop: str,
    value: Any,
) -> CodeLocation:
    """Where the code that ``prop`` (Code, CodeUri, Content, ContentUri: ``value``, resolved)
    of ``resource`` names is on this machine."""
    metadata = resource.get("Metadata") or {}
    asset = metadata.get("aws:asset:path") if isinstance(metadata, Mapping) else None
    if asset and metadata.get("aws:asset:property", prop) == prop:
        return _exists(artefacts.folder / str(asset), "Metadata aws:asset:path")
    if prop == "InlineCode":
        return CodeLocation(None, inline=True)
    if isinstance(value, str):
        if value.startswith("s3://"):
            return _in_s3(artefacts, value, PurePosixPath(value).name)
        return _exists(artefacts.folder / value, prop)
    if isinstance(value, Mapping):
        if "ZipFile" in value:
            return CodeLocation(None, inline=True)
        key = value.get("S3Key", value.get("Key"))
        bucket = value.get("S3Bucket", value.get("Bucket"))
        if key is not None:
            return _in_s3(artefacts, f"s3://{bucket}/{key}", str(key))
        if "ImageUri" in value:
            return CodeLocation(None)
    return CodeLocation(None, f"its {prop} names no code ({value!r})")


def _exists(path: Path, how: str) -> CodeLocation:
    path = path.resolve()
    if path.exists():
        return CodeLocation(path)
    return CodeLocation(path, f"looked at {path} ({how}): not there")


def _in_s3(artefacts: ToolArtefacts, url: str, key: str) -> CodeLocation:
    """S3 code: the CDK asset or Serverless Framework artefact the key names."""
    if key in artefacts.cdk_assets:
        return _exists(artefacts.cdk_assets[key], f"{artefacts.cdk_manifest}")
    prefix = artefacts.serverless_prefix
    if prefix and key.startswith(prefix + "/"):
        return _exists(artefacts.folder / PurePosixPath(key).name, f"{artefacts.serverless_state}")
    looked = [
        f"a CDK asset (Metadata aws:asset:path, {artefacts.cdk_manifest or '<Stack>.assets.json'})",
        f"a Serverless Framework artefact ({artefacts.serverless_state or SERVERLESS_STATE})",
    ]
    return CodeLocation(
        None,
        f"its code is {url}, in S3; looked for {' and '.join(looked)} in {artefacts.folder}"
        " and found none that names it",
    )
