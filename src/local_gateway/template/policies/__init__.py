"""Who may call what, as the template declares it: each function's execution role with its
inline, managed and SAM policies (iam.py, managed_policies.py), and the
AWS::Lambda::Permission resources that decide whether API Gateway may invoke a function
(permissions.py). Read into the read model; evaluated by ``aws/iam``. Pure."""
