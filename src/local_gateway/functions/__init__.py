"""Functions as Lambda runs them: isolated in containers (``isolated/``: the containers,
their fork server and bootstrap, environment and egress proxy), or in-process through an
application's hook (the handler type, the context object, the thread pool); the runner
chooses, with each function's code package, credentials and concurrency. Imports
``template`` only."""
