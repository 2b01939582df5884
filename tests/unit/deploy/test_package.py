import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

from serverless_chat.deploy.package import (
    build_package,
    import_closure,
    runtime_files,
    runtime_interpreter,
)
from serverless_chat.routes import ENTRY_MODULES


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
    local_only = ("adapters/sqlite.py", "adapters/memory.py", "local/", "loadgen/")
    dev_time = ("client/", "deploy/", "cli/", "web_assets.py", "web/", "devsecret")
    for module in local_only + dev_time:
        assert not [n for n in names if n.startswith(f"serverless_chat/{module}")], module
    assert "jwt/__init__.py" in names  # PyJWT, shipped for the authorizer
    # Unicode's security data for names, as data the standard library reads (issue 25)
    assert "serverless_chat/chat/confusables.py" in names
    assert {n.split("/")[0] for n in names} == {"serverless_chat", "jwt"}


def test_every_entry_module_and_nothing_unused_ships() -> None:
    """The package is the entry modules' import closure: each entry module is in it, and
    every module in it is imported by one of them (directly or through another)."""
    names = {
        n.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for n in zipfile.ZipFile(BytesIO(build_package().data)).namelist()
        if n.startswith("serverless_chat/") and n.endswith(".py")
    }
    closure = {name for entry in ENTRY_MODULES for name in import_closure(entry)}
    assert set(ENTRY_MODULES) <= names
    assert names == closure


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
        "from serverless_chat.chat.model import name_key;"
        "assert name_key('\\u0392ob') == name_key('bob');"
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
    assert not [m for m in closure if m.startswith("local_gateway")]


def test_with_an_interpreter_the_package_carries_bytecode_that_is_used(tmp_path: Path) -> None:
    package = build_package(interpreter=sys.executable)
    again = build_package(interpreter=sys.executable)
    assert package.data == again.data  # still deterministic: unchecked-hash .pyc
    tag = sys.implementation.cache_tag
    archive = zipfile.ZipFile(BytesIO(package.data))
    assert f"serverless_chat/handlers/__pycache__/send_message.{tag}.pyc" in archive.namelist()
    archive.extractall(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-v",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import serverless_chat.errors",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert f"code object from '{tmp_path}/serverless_chat/__pycache__/errors.{tag}.pyc'" in (
        result.stderr
    )


def test_the_runtime_interpreter_must_run_and_be_of_the_runtime_version() -> None:
    here = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    chosen = {"SERVERLESS_CHAT_LAMBDA_PYTHON": sys.executable}
    assert runtime_interpreter(here, chosen) == sys.executable
    assert runtime_interpreter("python2.7", chosen) is None
    assert runtime_interpreter(here, {"SERVERLESS_CHAT_LAMBDA_PYTHON": "/nonexistent/py"}) in (
        None,
        shutil.which(here),
    )
