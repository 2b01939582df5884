"""IAM policy evaluation as AWS does it, for the calls a function makes with its role's
credentials (evaluate.py), the condition operators (conditions.py), the ARNs and actions each
emulated call is authorised for (resources.py), and AWS's answer to a denied call
(denials.py). Pure: no I/O."""
