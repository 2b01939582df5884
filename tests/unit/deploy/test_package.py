import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

from serverless_chat.deploy.package import build_package, import_closure, runtime_files


def test_the_package_is_deterministic() -> None:
    first, second = build_package(), build_package()
    assert first.data == second.data
    assert first.key == second.key
    assert first.key.startswith("serverless-chat/lambda-")


def test_the_package_holds_the_runtime_modules_only() -> None:
    names = zipfile.ZipFile(BytesIO(build_package().data)).namelist()
    assert "serverless_chat/handlers/send_message.py" in names
    assert "serverless_chat/adapters/dynamodb.py" in names
    assert names == sorted(names)
    for dev_time in ("gateway", "client", "deploy", "cli.py", "site.py", "web/", "devsecret"):
        assert not [n for n in names if f"serverless_chat/{dev_time}" in n], dev_time
    assert "jwt/__init__.py" in names  # PyJWT, shipped for the authorizer
    assert {n.split("/")[0] for n in names} == {"serverless_chat", "jwt"}


def test_a_changed_file_changes_the_key(tmp_path: Path) -> None:
    files = runtime_files()
    assert build_package(files[:-1]).key != build_package(files).key


def test_the_package_runs_from_the_zip_alone(tmp_path: Path) -> None:
    package = tmp_path / "lambda.zip"
    package.write_bytes(build_package().data)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import serverless_chat.handlers.send_message as m;"
        "assert m.__file__.startswith(sys.argv[1]), m.__file__;"
        "print(callable(m.handler))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, str(package)], capture_output=True, text=True
    )
    assert result.stdout.strip() == "True", result.stderr


def test_import_closure_follows_imports_and_packages() -> None:
    closure = import_closure("serverless_chat.handlers.default")
    assert "serverless_chat.handlers.default" in closure
    assert "serverless_chat.handlers" in closure
    assert "serverless_chat" in closure
    assert "serverless_chat.adapters.signed_http" in closure  # imported inside a function
    assert not [m for m in closure if m.startswith("serverless_chat.gateway")]
