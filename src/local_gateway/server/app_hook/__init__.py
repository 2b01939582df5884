"""The seam an application's hook plugs into: the hook named in the template's Metadata
loaded and called (hook.py), and the services it is handed, ``LocalServices`` (the
@connections API and asynchronous Invoke in-process, in_process_faces.py)."""
