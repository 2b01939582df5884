"""Functions as Lambda runs them: isolated in containers (their bootstrap, code packages,
credentials, environment, egress proxy), or in-process through an application's hook (the
handler type, the context object, the thread pool). Imports ``template`` only."""
