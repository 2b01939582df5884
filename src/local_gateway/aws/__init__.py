"""One model per AWS API the functions call (the Management API, Lambda's Invoke, DynamoDB),
each with its HTTP face and, where an application's hook calls it, an in-process face; SigV4
on those APIs, the tools' signing keys, and the answer of the services not emulated."""
