"""Information governance: data-sharing agreements and the rules that use them.

Pure domain (no storage, no web): ``wholechild.governance.agreements``. Actions that change
governance records are in ``wholechild.actions``; reads in ``wholechild.read``.
"""
