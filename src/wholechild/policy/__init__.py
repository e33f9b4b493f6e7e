"""The access policy, written in Cedar (``wholechild.cedar``) and applied in-process.

Only ``wholechild.access`` should call this package: it is the one choke point.
"""

from wholechild.policy.engine import ACTIONS, RESOURCE_KINDS, Request, evaluate, policy_text

__all__ = ["ACTIONS", "RESOURCE_KINDS", "Request", "evaluate", "policy_text"]
