"""API Gateway's Management API (``@connections``): the model of the live connections, its
HTTP face and the in-process face an application's hook calls."""
