"""The pytest plugin, registered by the package's ``pytest11`` entry point (docs/testing.md).

Fixtures:

- ``websocket_api``: the WebSocket API of a template, served by a local gateway on free
  ports (a ``WebSocketApi``). The template is, first found: the fixture's parameter
  (``@pytest.mark.parametrize("websocket_api", [...], indirect=True)``), the
  ``@pytest.mark.websocket_api(TEMPLATE, parameters={...}, **settings)`` marker, the
  ``websocket_api_template`` ini option (with ``websocket_api_parameters`` lines
  ``Name=Value``). Relative paths are the rootdir's.
- ``websocket_api_factory(template, parameters=None, *, reuse=True, **settings)``: as many
  as a test wants.

A gateway is started once a session for each template, parameters and settings, and reset
after each test that used it (clients closed, tables emptied, recordings forgotten); with
``reuse=False`` it is the test's own, stopped after it. A test in which a function failed,
without an ``invoke`` that raised it or ``expect_function_errors()``, fails with the
function's own traceback; the functions' log lines are in the report of a failed test.
Every gateway is stopped at the end of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from local_gateway.testing.harness import HarnessError, WebSocketApi

TEMPLATE_INI = "websocket_api_template"
PARAMETERS_INI = "websocket_api_parameters"
USED = pytest.StashKey[list[WebSocketApi]]()

Factory = Callable[..., WebSocketApi]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        TEMPLATE_INI,
        "the template websocket_api serves when no marker or parameter names one",
        default="",
    )
    parser.addini(
        PARAMETERS_INI,
        "the template's parameters for websocket_api, one Name=Value a line",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "websocket_api(template, parameters=None, **settings): the template (and its"
        " parameters, and GatewayConfig settings) the websocket_api fixture serves",
    )


class GatewayPool:
    """The session's gateways, by what they serve; each started once."""

    def __init__(self, folder: Callable[[], Path]) -> None:
        self._folder = folder
        self._apis: dict[str, WebSocketApi] = {}

    def get(
        self, template: Path, parameters: Mapping[str, str], settings: dict[str, Any], reuse: bool
    ) -> WebSocketApi:
        key = (template, sorted(parameters.items()), sorted(settings.items(), key=repr))
        frozen = repr(key)
        if reuse and frozen in self._apis:
            return self._apis[frozen]
        api = WebSocketApi(template, self._folder(), parameters, **settings)
        api.start()
        if reuse:
            self._apis[frozen] = api
        return api

    def stop_all(self) -> None:
        errors = []
        for api in self._apis.values():
            try:
                api.stop()
            except Exception as error:  # one that fails to stop never keeps the others up
                errors.append(f"{api.config.template}: {error}")
        self._apis.clear()
        if errors:
            raise RuntimeError("gateways that did not stop cleanly: " + "; ".join(errors))


def _parameters(lines: list[str]) -> dict[str, str]:
    parameters = {}
    for line in lines:
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise HarnessError(f"{PARAMETERS_INI}: {line!r} is not Name=Value")
        parameters[name.strip()] = value.strip()
    return parameters


def _template_path(config: pytest.Config, template: str | Path | None) -> Path:
    if template is None or template == "":
        template = str(config.getini(TEMPLATE_INI))
    if not template:
        raise HarnessError(
            "websocket_api: no template; name one with @pytest.mark.websocket_api(PATH), the "
            f"{TEMPLATE_INI} ini option, or websocket_api_factory(PATH)"
        )
    path = Path(template)
    return path if path.is_absolute() else config.rootpath / path


@pytest.fixture(scope="session")
def websocket_api_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayPool]:
    """The session's gateways, stopped at its end."""
    pool = GatewayPool(lambda: tmp_path_factory.mktemp("local-gateway"))
    yield pool
    pool.stop_all()


@pytest.fixture
def websocket_api_factory(
    request: pytest.FixtureRequest, websocket_api_pool: GatewayPool
) -> Iterator[Factory]:
    """``factory(template=None, parameters=None, *, reuse=True, **settings)``: a served
    WebSocketApi (``settings`` are GatewayConfig's fields; ``parameters`` the template's)."""
    used = request.node.stash.setdefault(USED, [])
    own: list[WebSocketApi] = []

    def factory(
        template: str | Path | None = None,
        parameters: Mapping[str, str] | None = None,
        *,
        reuse: bool = True,
        **settings: Any,
    ) -> WebSocketApi:
        path = _template_path(request.config, template)
        if parameters is None:
            parameters = _parameters(list(request.config.getini(PARAMETERS_INI)))
        api = websocket_api_pool.get(path, parameters, settings, reuse)
        if api not in used:
            used.append(api)
        if not reuse:
            own.append(api)
        return api

    yield factory
    for api in used:
        if api in own:
            api.stop()
        elif api.running:
            api.reset()


@pytest.fixture
def websocket_api(request: pytest.FixtureRequest, websocket_api_factory: Factory) -> WebSocketApi:
    """The template's WebSocket API (see the module's docstring for where the template is
    named), started once a session and reset after each test."""
    template: str | Path | None = None
    parameters: Mapping[str, str] | None = None
    settings: dict[str, Any] = {}
    marker = request.node.get_closest_marker("websocket_api")
    if marker is not None:
        if len(marker.args) > 1:
            raise HarnessError("@pytest.mark.websocket_api takes one template, by position")
        template = marker.args[0] if marker.args else None
        settings = dict(marker.kwargs)
        parameters = settings.pop("parameters", None)
    param = getattr(request, "param", None)
    if isinstance(param, Mapping):
        settings = dict(param)
        template = settings.pop("template", None)
        parameters = settings.pop("parameters", None)
    elif param is not None:
        template = param
    return websocket_api_factory(template, parameters, **settings)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A function that failed fails the test, with its traceback; its logs go in the report."""
    try:
        result = yield
    finally:
        _add_logs(item)
    failures = [text for api in item.stash.get(USED, []) for text in api.unexpected_failures()]
    if failures:
        pytest.fail(
            "a function failed during the test (call expect_function_errors() if it should):\n"
            + "\n\n".join(failures),
            pytrace=False,
        )
    return result


def _add_logs(item: pytest.Item) -> None:
    for api in item.stash.get(USED, []):
        if not api.running:
            continue
        lines = api.logs()
        if lines:
            item.add_report_section("call", f"lambda {api.config.template.name}", "\n".join(lines))
