"""wholechild: an open, audited information platform for children's services and SEND teams.

The public surface is the CLI (``wholechild --help``); in Python, the few names below.
"""

from wholechild.errors import UserError

__all__ = ["UserError", "__version__"]
__version__ = "0.1.0"
