"""A certificate's effective validity and its status from it, and how a ledger row says it
was met: plain model instances, no app, no session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webapp.models import Certificate, CertificateStatus, ProgressStatus, RequirementProgress, User

EXPIRES = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
GRACE = EXPIRES + timedelta(days=20)


def certificate(status=CertificateStatus.ACTIVE, expires_at=EXPIRES, grace_until=None):
    return Certificate(status=status, expires_at=expires_at, grace_until=grace_until)


def test_without_a_grace_period_the_expiry_decides():
    c = certificate()
    assert c.valid_until == EXPIRES
    assert c.status_at(EXPIRES - timedelta(seconds=1)) is CertificateStatus.ACTIVE
    assert c.status_at(EXPIRES) is CertificateStatus.EXPIRED  # the exact instant included
    assert c.grace_until_at(EXPIRES) is None


def test_a_grace_period_keeps_it_valid_until_it_ends():
    c = certificate(grace_until=GRACE)
    assert c.valid_until == GRACE and c.expires_at == EXPIRES
    assert c.status_at(EXPIRES + timedelta(days=1)) is CertificateStatus.ACTIVE
    assert c.grace_until_at(EXPIRES + timedelta(days=1)) == GRACE
    assert c.status_at(GRACE) is CertificateStatus.EXPIRED and c.grace_until_at(GRACE) is None


def test_a_certificate_marked_expired_counts_as_valid_inside_a_grace_period():
    c = certificate(CertificateStatus.EXPIRED, grace_until=GRACE)
    assert c.status_at(EXPIRES + timedelta(days=1)) is CertificateStatus.ACTIVE
    assert c.status_at(GRACE) is CertificateStatus.EXPIRED
    assert certificate(CertificateStatus.EXPIRED).status_at(EXPIRES) is CertificateStatus.EXPIRED


def test_revoked_stays_revoked_and_never_expiring_stays_active():
    revoked = certificate(CertificateStatus.REVOKED, grace_until=GRACE)
    assert revoked.status_at(EXPIRES) is CertificateStatus.REVOKED
    assert revoked.grace_until_at(EXPIRES) is None
    forever = certificate(expires_at=None)
    assert forever.valid_until is None
    assert forever.status_at(EXPIRES + timedelta(days=10_000)) is CertificateStatus.ACTIVE


@pytest.mark.parametrize(
    ("values", "label"),
    [
        ({"status": ProgressStatus.PENDING}, None),
        ({"status": ProgressStatus.AWAITING_VALIDATION, "satisfied_by_evaluation_id": 4}, None),
        ({"status": ProgressStatus.MET, "satisfied_by_evaluation_id": 12}, "quiz attempt #12"),
        ({"status": ProgressStatus.MET, "satisfied_by_submission_id": 3}, "evidence submission #3"),
        ({"status": ProgressStatus.MET}, "marked complete"),
        (
            {
                "status": ProgressStatus.MET,
                "recorded_reason": "Seen.",
                "recorded_by": User(full_name="Ada Admin"),
            },
            "recorded by Ada Admin",
        ),
        (
            {"status": ProgressStatus.MET, "recorded_reason": "Seen."},
            "recorded by an administrator",
        ),
    ],
)
def test_a_ledger_row_says_how_it_was_met(values, label):
    row = RequirementProgress(**values)
    assert row.met_how == label
    assert row.is_recorded is (label is not None and label.startswith("recorded"))
