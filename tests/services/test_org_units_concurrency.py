"""Tree writes of one tenant at the same moment: two crossing moves cannot build a cycle
together, and two top-level units cannot take the same name (the unique constraint does not
see NULL parents; the tree lock does).

Proved on PostgreSQL with committed data: every thread has its own app context, session and
connection, and both call the service together behind a barrier. What the test commits is
deleted at the end.
"""

import os
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import OrgUnit, Tenant
from webapp.services import org_units as units

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
    ),
]


@pytest.fixture
def tenant_id(_app, clock):
    """A committed tenant (no wrapping test transaction), deleted with its units afterwards."""
    with _app.app_context():
        tenant = TenantFactory()
        db.session.commit()
        try:
            yield tenant.id
        finally:
            db.session.rollback()
            db.session.execute(
                sa.update(OrgUnit).where(OrgUnit.tenant_id == tenant.id).values(parent_id=None)
            )
            for table in reversed(db.metadata.sorted_tables):
                if "tenant_id" in table.c:
                    db.session.execute(table.delete().where(table.c.tenant_id == tenant.id))
            db.session.execute(sa.delete(Tenant).where(Tenant.id == tenant.id))
            db.session.commit()
            db.session.remove()


def together(app, *calls: Callable[[], object]) -> list[str]:
    """Run each call in its own thread and app context, released at once; each commits.
    Returns "ok" or the refusal's message for each."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                call()
                db.session.commit()
                results.append("ok")
            except ValidationFailed as refused:
                db.session.rollback()
                results.append(refused.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_crossing_moves_leave_no_cycle(_app, tenant_id):
    a = units.create_unit(tenant_id, None, "A")
    b = units.create_unit(tenant_id, None, "B")
    db.session.commit()
    a_id, b_id = a.id, b.id

    def move(unit_id: int, under_id: int):
        return lambda: units.move_unit(
            db.session.get(OrgUnit, unit_id), None, db.session.get(OrgUnit, under_id)
        )

    results = together(_app, move(a_id, b_id), move(b_id, a_id))
    assert sorted(r == "ok" for r in results) == [False, True]
    assert any("which is inside it" in r for r in results)
    db.session.expire_all()
    parents = units.parents_of(tenant_id)
    assert parents in ({a_id: b_id, b_id: None}, {a_id: None, b_id: a_id})


def test_two_top_level_units_cannot_take_one_name(_app, tenant_id):
    def create():
        return lambda: units.create_unit(tenant_id, None, "North")

    results = together(_app, create(), create())
    assert sorted(results) == [
        "There is already a unit named “North” at the top of the tree.",
        "ok",
    ]
    count = db.session.scalar(
        sa.select(sa.func.count(OrgUnit.id)).where(OrgUnit.tenant_id == tenant_id)
    )
    assert count == 1
