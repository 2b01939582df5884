"""A function's .zip package runs as Lambda runs it: unpacked into a folder of its own (as
Lambda unpacks it into its task root), once per package, within Lambda's 250 MB unpacked
quota ("Lambda quotas": "250 MB (unzipped, including layers)")."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from local_gateway.functions.code_package import CodePackageError, code_folder, inline_folder
from local_gateway.functions.runner import FunctionRunner, RunnerConfig
from local_gateway.template.model import FunctionSpec


def package(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as out:
        for name, text in files.items():
            out.writestr(name, text)
    return path


def test_a_folder_is_its_own_code(tmp_path: Path) -> None:
    assert code_folder(tmp_path, tmp_path / "state") == tmp_path


def test_a_package_is_unpacked_once_and_a_new_one_replaces_it(tmp_path: Path) -> None:
    zipped = package(tmp_path / "deployment.zip", {"app.py": "X = 1\n"})
    first = code_folder(zipped, tmp_path / "state")
    assert (first / "app.py").read_text() == "X = 1\n"
    assert code_folder(zipped, tmp_path / "state") == first
    package(zipped, {"app.py": "X = 2\n"})
    second = code_folder(zipped, tmp_path / "state")
    assert second != first
    assert (second / "app.py").read_text() == "X = 2\n"


def test_a_file_that_is_not_a_package_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "code.txt").write_text("no")
    with pytest.raises(CodePackageError, match=r"neither a folder nor a \.zip"):
        code_folder(tmp_path / "code.txt", tmp_path / "state")


def test_a_package_over_lambdas_unzipped_quota_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local_gateway.functions.code_package.MAX_UNZIPPED_BYTES", 10)
    zipped = package(tmp_path / "big.zip", {"app.py": "X = 1234567890\n"})
    with pytest.raises(CodePackageError, match="Unzipped size must be smaller than 10 bytes"):
        code_folder(zipped, tmp_path / "state")


async def test_a_packaged_function_runs(tmp_path: Path) -> None:
    zipped = package(
        tmp_path / "deployment.zip",
        {
            "app.py": "import lib\ndef handler(event, context):\n    return lib.VALUE\n",
            "lib.py": "VALUE = 'from the zip'\n",
        },
    )
    spec = FunctionSpec("Fn", "fn", "app.handler", zipped, "python3.13", {}, 5.0)
    runner = FunctionRunner({"Fn": spec}, None, RunnerConfig(state_dir=tmp_path / "state"))
    try:
        assert (await runner.invoke(spec, {})).result == "from the zip"
    finally:
        await runner.shutdown()


def test_code_written_in_the_template_is_an_index_py_of_its_own(tmp_path: Path) -> None:
    """Inline source is placed "in a file named index" ("AWS::Lambda::Function Code",
    CloudFormation template reference): one private file, written once per source."""
    first = inline_folder("def handler(e, c):\n    return 1\n", tmp_path)
    assert [p.name for p in first.iterdir()] == ["index.py"]
    assert (first / "index.py").read_text() == "def handler(e, c):\n    return 1\n"
    assert (first / "index.py").stat().st_mode & 0o777 == 0o600
    assert inline_folder("def handler(e, c):\n    return 1\n", tmp_path) == first
    assert inline_folder("def handler(e, c):\n    return 2\n", tmp_path) != first
