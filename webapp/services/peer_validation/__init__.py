"""Peer validation: learners' evidence and mentors' decisions on it and on quiz attempts that
need a mentor's validation.

The service owns evidence submissions with their files (checked by size and by content in
`webapp.uploads`, submitted, withdrawn: `evidence`); mentor scope (`scope`): a mentor
decides within their tenant on the learners of their scope unit's subtree (the unit they
were assigned to review, else their own org unit; with neither, the whole tenant), and
out-of-scope subjects answer NotFound, exactly like missing ones; the
review queue (`queue`); one final decision per subject, reached by one rejection or N
distinct approvals, with the notifications to reviewers and learners (`decisions`): the
unique constraints on (subject, mentor), a row lock on the subject and a conditional status
update leave exactly one outcome however many mentors decide at the same moment; and the
review page's read models (`review_page`). Every function flushes and never commits.
"""

from webapp.services.peer_validation.decisions import Outcome, Subject, decide, notify_reviewers
from webapp.services.peer_validation.evidence import (
    learner_submissions,
    progress_row,
    submit_evidence,
    withdraw,
)
from webapp.services.peer_validation.queue import QueueItem, QueuePage, queue_count, review_queue
from webapp.services.peer_validation.review_page import Review, review
from webapp.services.peer_validation.scope import (
    downloadable_file,
    in_scope,
    reviewable_evaluation,
    reviewable_submission,
    reviewers_of,
    reviewers_of_unit,
)

__all__ = [
    "Outcome",
    "QueueItem",
    "QueuePage",
    "Review",
    "Subject",
    "decide",
    "downloadable_file",
    "in_scope",
    "learner_submissions",
    "notify_reviewers",
    "progress_row",
    "queue_count",
    "review",
    "review_queue",
    "reviewable_evaluation",
    "reviewable_submission",
    "reviewers_of",
    "reviewers_of_unit",
    "submit_evidence",
    "withdraw",
]
