"""Lambda's Invoke API for the template's functions: the model (one lookup, the payload
limits, the invocation types), its HTTP face and the in-process face an application's hook
calls."""
