"""The warm parent of a Python version's containers: a fork server.

Started as a script (``python -I -S fork_server.py CONTROL_FD BOOTSTRAP PRELOAD RUNTIME``)
on the interpreter of a runtime's version, with no environment of the gateway's. It imports
the runtime's packages once (boto3 and botocore, the seconds of a cold start that are not
the function's own), then forks one child per container the gateway asks for. The child
leads a session of its own, takes the three pipes the gateway sent as its standard input,
output and error, replaces its whole environment with the function's (``os.environ`` is
cleared and set, and ``time.tzset`` reads its ``TZ``) and only then runs the bootstrap,
which imports the function's module: the environment is still set before the import, as
Lambda sets it. A function that carries a package of its own by a name the parent imported
(its own boto3) gets its own: the parent's copies are forgotten before the import.

What a child still pays for a boto3 client is botocore building it in a new session; part of
that is parsing botocore's own data files (``endpoints.json``, 1.2 MB, the service's model
and endpoint rule set) and listing its data folder (some 400 services, a folder each, to
know which exist), which its loader caches per session, not per process. The parent parses
once the files that building clients of ``SHARED_SERVICES`` reads from botocore's own data
folder, and each child takes a parsed file the first time its botocore asks for that very
path (later asks parse again, as botocore would): which file is read is still decided in
the child, by its loader's search path (``AWS_DATA_PATH``, ``~/.aws/models``) and the
service and version asked for, and what it gets is an object of its own, equal to what it
would have parsed. Likewise the services found in botocore's own data folder are listed
once in the parent; a child's loader lists the other folders of its search path itself
and adds them. (That folder is the runtime's package, which nothing changes while it
runs.) Nothing that depends on the function's environment (region, credentials, endpoints,
configuration files) is resolved in the parent.

    gateway -> server   a packet {"argv": [...], "env": {...}} with three descriptors
                        (SCM_RIGHTS) on the control socket (SOCK_SEQPACKET)
    server -> gateway   {"ready": [preloaded modules], "failed": {module: error},
                        "shared": [botocore data files parsed ahead]} once;
                        then {"pid": N} per request, in order; {"exit": N, "status": S}
                        when a child ends (S as ``returncode``: negative for a signal)

It imports only the standard library; it runs on every Python a Lambda runtime has (3.9+).
"""

from __future__ import annotations

import array
import contextlib
import gc
import importlib
import importlib.util
import json
import os
import select
import signal
import socket
import sys
import time
import traceback

MAX_REQUEST = 4 * 1024 * 1024
# The services whose clients the parent builds at warm-up, and whose botocore data files it
# parses for the children: the ones the gateway emulates (the callback API, DynamoDB,
# Lambda's Invoke) and STS. Any other service's client is built as it would be, its files
# parsed in the child.
SHARED_SERVICES = ("apigatewaymanagementapi", "dynamodb", "lambda", "sts")


def _say(message: dict) -> None:  # type: ignore[type-arg]
    os.write(1, (json.dumps(message) + "\n").encode())


def _load_bootstrap(path: str):  # type: ignore[no-untyped-def]
    """The bootstrap, under a name no function's module would have."""
    spec = importlib.util.spec_from_file_location("_local_gateway_bootstrap", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _preload(names: list, runtime_dir: str, failed: dict, shared: list) -> list:  # type: ignore[type-arg]
    """Import the runtime's packages from its folder; the names that imported (why the
    others did not, in ``failed``; the botocore data files parsed ahead, in ``shared``)."""
    before = list(sys.path)
    sys.path.insert(0, runtime_dir)
    loaded = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # the child imports it again, and fails as it fails here
            failed[name] = f"{type(error).__name__}: {error}"
            for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[module]  # half imported: the child tries afresh
        else:
            loaded.append(name)
    if "boto3" in loaded:
        try:
            shared.extend(_share_botocore_data())
        except Exception as error:
            sys.stderr.write(f"fork server: no client built at warm-up: {error}\n")
    sys.path[:] = before
    gc.collect()
    gc.freeze()  # the children's collector leaves the parent's objects (and pages) alone
    sys.stderr.flush()  # nothing buffered is copied into the children
    return loaded


def _build_clients() -> None:
    """Build and drop a client of each shared service, with made-up keys and no
    configuration files: botocore imports most of what a client needs only then. Nothing of
    them is kept: the function's clients are its own, built from its own environment."""
    import boto3.session

    for service in SHARED_SERVICES:
        session = boto3.session.Session(
            aws_access_key_id="warm-up", aws_secret_access_key="warm-up", region_name="us-east-1"
        )
        session.client(service)


def _share_botocore_data() -> list:  # type: ignore[type-arg]
    """Build the warm-up clients, noting each file of botocore's own data folder they read;
    parse those files afresh, and let each child's botocore take each parsed file once, for
    that very path (see the module's docstring). The paths, parsed."""
    from botocore import loaders

    builtin = os.path.join(loaders.Loader.BUILTIN_DATA_PATH, "")
    original = loaders.JSONFileLoader.load_file
    original_list = loaders.Loader.list_available_services
    read: dict = {}  # type: ignore[type-arg]
    types: dict = {}  # type: ignore[type-arg]

    def noting(self, file_path):  # type: ignore[no-untyped-def]
        if str(file_path).startswith(builtin):
            read[file_path] = None
        return original(self, file_path)

    def noting_types(self, type_name):  # type: ignore[no-untyped-def]
        types[type_name] = None
        return original_list(self, type_name)

    loaders.JSONFileLoader.load_file = noting
    loaders.Loader.list_available_services = noting_types
    try:
        _build_clients()
    finally:
        loaders.JSONFileLoader.load_file = original
        loaders.Loader.list_available_services = original_list
    _share_service_lists(loaders, list(types))
    parsed: dict = {}  # type: ignore[type-arg]
    for file_path in read:
        for extension in getattr(loaders, "_JSON_OPEN_METHODS", None) or (".json",):
            if os.path.isfile(file_path + extension):
                parsed[file_path] = (
                    file_path + extension,
                    original(loaders.JSONFileLoader(), file_path),
                )
                break

    def load_file(self, file_path):  # type: ignore[no-untyped-def]
        taken = parsed.pop(file_path, None)  # once: a later ask parses, as botocore would
        if taken is None:
            return original(self, file_path)
        loaders.logger.debug("Loading JSON file: %s", taken[0])  # as botocore says it
        return taken[1]

    load_file.__doc__ = original.__doc__
    loaders.JSONFileLoader.load_file = load_file
    return sorted(path[len(builtin) :] for path in parsed)


def _share_service_lists(loaders, type_names: list) -> None:  # type: ignore[no-untyped-def, type-arg]
    """The services botocore's own data folder has, for each type of file asked for at
    warm-up, listed here once; a child's loader lists the rest of its search path itself."""
    folder = loaders.Loader.BUILTIN_DATA_PATH
    original = loaders.Loader.list_available_services
    alone = loaders.Loader(extra_search_paths=[folder], include_default_search_paths=False)
    listed = {name: frozenset(original(alone, name)) for name in type_names}

    @loaders.instance_cache
    def list_available_services(self, type_name):  # type: ignore[no-untyped-def]
        if type_name not in listed or folder not in self.search_paths:
            return original(self, type_name)
        others = loaders.Loader(
            extra_search_paths=[path for path in self.search_paths if path != folder],
            file_loader=self.file_loader,
            include_default_search_paths=False,
        )
        return sorted(listed[type_name].union(original(others, type_name)))

    list_available_services.__doc__ = original.__doc__
    loaders.Loader.list_available_services = list_available_services


def _forget_shadowed(runtime_dir: str, own_paths: list) -> None:  # type: ignore[type-arg]
    """A function that carries a package the parent imported (its own boto3, first on its
    path) must import its own: drop every module the parent took from the runtime folder."""
    runtime = os.path.abspath(runtime_dir)  # its entries are links: not resolved
    preloaded = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if file and os.path.abspath(file).startswith(runtime + os.sep):
            preloaded[name] = module
    tops = {name.split(".")[0] for name in preloaded}
    shadowed = any(
        os.path.exists(os.path.join(folder, top))
        or os.path.exists(os.path.join(folder, top + ".py"))
        for folder in own_paths
        for top in tops
    )
    if shadowed:
        for name in preloaded:
            del sys.modules[name]
        importlib.invalidate_caches()


def _child(request: dict, fds: list, control: socket.socket, wakes: tuple, bootstrap) -> None:  # type: ignore[type-arg, no-untyped-def]
    """In the forked child: become the container, run the bootstrap, never return."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        control.close()
        for wake in wakes:
            os.close(wake)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        argv = request["argv"]
        sys.argv = ["bootstrap.py", *argv]
        code_dir, extra = argv[1], json.loads(argv[2])
        python_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        runtime_dir = request.get("runtimeDir", "")
        own = [code_dir, *python_path, *(p for p in extra if p != runtime_dir)]
        if runtime_dir:
            _forget_shadowed(runtime_dir, own)
        bootstrap.main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _receive(control: socket.socket) -> tuple:  # type: ignore[type-arg]
    """One request line and its descriptors; (None, []) when the gateway has gone."""
    fds = array.array("i")
    data, ancillary, _, _ = control.recvmsg(MAX_REQUEST, socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    if not data:
        return None, list(fds)
    return json.loads(data), list(fds)


def _reap(children: set) -> None:  # type: ignore[type-arg]
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        _say({"exit": pid, "status": os.waitstatus_to_exitcode(status)})


def _end_all(children: set) -> None:  # type: ignore[type-arg]
    """The gateway has gone without stopping its containers (it was killed): end them, frozen
    ones too, which would otherwise stay stopped for ever."""
    for pid in children:
        for signum in (signal.SIGKILL, signal.SIGCONT):
            with contextlib.suppress(OSError):
                os.killpg(pid, signum)


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    bootstrap = _load_bootstrap(sys.argv[2])
    runtime_dir = sys.argv[4]
    failed: dict = {}  # type: ignore[type-arg]
    shared: list = []  # type: ignore[type-arg]
    loaded = _preload(json.loads(sys.argv[3]), runtime_dir, failed, shared)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    _say({"ready": loaded, "failed": failed, "shared": shared})
    children: set = set()  # type: ignore[type-arg]
    while True:
        readable, _, _ = select.select([control.fileno(), wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 4096)
            _reap(children)
        if control.fileno() not in readable:
            continue
        request, fds = _receive(control)
        if request is None:
            _end_all(children)
            return
        request["runtimeDir"] = runtime_dir
        pid = os.fork()
        if pid == 0:
            _child(request, fds, control, (wake_read, wake_write), bootstrap)
        children.add(pid)
        for fd in fds:
            os.close(fd)
        _say({"pid": pid})


if __name__ == "__main__":
    main()
