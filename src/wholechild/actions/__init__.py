"""Actions: every change to the store goes through one, and writes its audit record in the
same transaction (no audit, no action). Actions take keyword-only arguments with an explicit
actor and purpose.
"""
