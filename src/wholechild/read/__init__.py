"""The read layer: search, the single child view, clerical review and access reports.

Every function takes the engine, authorizes through ``wholechild.access`` (the one choke
point), writes one audit entry and returns frozen dataclasses. Nothing of a child's details
goes to logs or audit entries: only ids and counts.
"""

from wholechild.read.access_report import AccessEntry, access_report, access_report_csv
from wholechild.read.child import ChildView, child_view
from wholechild.read.review import ReviewPair, ReviewSummary, review_pair, review_queue
from wholechild.read.search import SearchHit, search_children

__all__ = [
    "AccessEntry",
    "ChildView",
    "ReviewPair",
    "ReviewSummary",
    "SearchHit",
    "access_report",
    "access_report_csv",
    "child_view",
    "review_pair",
    "review_queue",
    "search_children",
]
