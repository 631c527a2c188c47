"""Quiz jobs: regrading after a corrected key, and grading attempts whose time ran out."""

from __future__ import annotations

from webapp import clock
from webapp.extensions import db
from webapp.models import Evaluation
from webapp.outbox import job
from webapp.services import automated_evaluation as evaluation


@job("regrade_batch")
def regrade_batch(batch_id: int) -> None:
    """Rescore every attempt affected by a corrected key, committing progress per chunk so the
    admin sees it move; a batch already done is left alone, so running it twice changes
    nothing the second time. A failure is recorded on the batch and re-raised (RQ retries)."""
    try:
        batch = evaluation.begin_regrade(batch_id)
        if batch is None:
            return
        db.session.commit()
        last_id: int | None = 0
        while last_id is not None:
            last_id = evaluation.regrade_chunk(batch, last_id)
            db.session.commit()
        evaluation.finish_regrade(batch_id)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        evaluation.fail_regrade(batch_id, f"{type(error).__name__}: {error}")
        db.session.commit()
        raise


@job("finalize_overdue_attempts")
def finalize_overdue_attempts() -> int:
    """Grade attempts whose deadline plus grace has passed, on the answers saved in time; one
    commit per attempt (each may complete an enrolment). Safe to run twice or alongside a
    learner's POST: the conditional UPDATE lets one of them grade. Returns how many it graded."""
    graded = 0
    for attempt_id in evaluation.overdue_attempt_ids(clock.now()):
        attempt = db.session.get(Evaluation, attempt_id)
        if attempt is not None and evaluation.finalize_overdue_attempt(attempt):
            graded += 1
        db.session.commit()
    return graded
