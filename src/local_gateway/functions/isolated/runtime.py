"""What Lambda's Python runtime puts in a container before the function's own code: the
packages the runtime carries beside the standard library (boto3 and its requirements, as
installed beside the gateway, linked into one folder for the containers' ``sys.path``), and
the environment variables Lambda sets ("Defined runtime environment variables", AWS Lambda
Developer Guide,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
over the function's own and the endpoints of the gateway's services.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from local_gateway.template.model import FunctionSpec

# What the Python runtime provides beside the standard library: boto3 and what it needs.
RUNTIME_DISTRIBUTIONS = ("boto3",)
# Lambda's PATH, without the runtime's own /var/lang/bin (the interpreter's folder instead).
LAMBDA_PATH = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"


def _requirement_name(requirement: str) -> str:
    name = requirement.split(";", 1)[0]
    for stop in " (<>=!~[":
        name = name.split(stop, 1)[0]
    return name.strip()


def runtime_packages(distributions: tuple[str, ...] = RUNTIME_DISTRIBUTIONS) -> list[Path]:
    """The files and folders of the distributions Lambda's Python runtime carries (boto3 and
    its requirements, without extras), as installed beside the gateway."""
    seen: set[str] = set()
    found: dict[str, Path] = {}
    todo = list(distributions)
    while todo:
        name = todo.pop()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                todo.append(_requirement_name(requirement))
        for file in dist.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith((".dist-info", ".pth")):
                continue
            found[top] = Path(str(dist.locate_file(top)))
    return sorted(found.values())


def prepare_runtime_dir(folder: Path) -> Path:
    """A folder of links to the runtime's packages, for the containers' ``sys.path``."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.is_symlink():
            stale.unlink()
    for path in runtime_packages():
        (folder / path.name).symlink_to(path)
    return folder


def lambda_environment(
    spec: FunctionSpec,
    region: str,
    credentials: Mapping[str, str],
    services: Mapping[str, str] | None = None,
    interpreter: Path | None = None,
) -> dict[str, str]:
    """The environment of one container, and nothing of the gateway's own: the endpoints
    of the gateway's ``services``, overridden by the function's own variables, overridden
    in turn by the Lambda runtime's reserved ones."""
    now = time.gmtime()
    version = spec.runtime.removeprefix("python")
    stream = f"{time.strftime('%Y/%m/%d', now)}/[$LATEST]{secrets.token_hex(16)}"
    interpreter_dir = str((interpreter or Path(sys.executable)).parent)
    base = {
        "PATH": f"{interpreter_dir}:{LAMBDA_PATH}",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }
    reserved = {
        "_HANDLER": spec.handler,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "LAMBDA_RUNTIME_DIR": interpreter_dir,
        **credentials,
    }
    return {**base, **(services or {}), **dict(spec.environment), **reserved}
