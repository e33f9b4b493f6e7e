"""EHCP: the statutory process (clocks written as data) and the drafting assistant.

Pure domain: no web framework, ORM or file-system access here except reading the packaged
clock specification; storage lives in ``wholechild.storage`` and changes go through actions.
"""
