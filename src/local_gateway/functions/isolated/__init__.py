"""Functions isolated as Lambda isolates them: each in processes of its own ("containers",
containers.py), started from a warm fork server of its Python version (forking.py,
fork_server.py) on the interpreter of its runtime (interpreters.py), running Lambda's Python
runtime inside (bootstrap.py) with the runtime's packages and variables (runtime.py), an
environment that names the gateway's services only (environment.py) and an egress proxy
that lets nothing else out (egress.py). It imports nothing of the rest of ``functions``: the
runner above chooses between these containers and the in-process handlers."""
