"""Certification path management owns programmes and their requirements, their versions and
publishing, the pinned snapshot each enrolment takes, and who may see and enrol in them.

Modules, each importing only those before it: `versions` (definitions, fingerprint,
publishing, snapshots), `eligibility` (org unit scope on the tree of `services.org_units`,
active certificates and the renewal window, missing prerequisites, reasons a learner may not
enrol), `enrolment` (enrol, ledger, self and bulk enrolment), `authoring` (programme fields,
create, update, archive, delete), `requirements` (requirement fields and settings, add,
change, remove, reorder).
Functions flush but never commit; they raise DomainError subclasses with safe messages.
"""

from __future__ import annotations

from webapp.services.certification_path_management.authoring import (
    PROGRAMME_FIELDS,
    SLUG_RE,
    archive_figures,
    archive_programme,
    create_programme,
    default_renewal_window,
    delete_programme,
    deletion_refusal,
    has_enrolments,
    name_taken,
    prerequisite_cycle,
    set_badge,
    update_programme,
    validate_programme_fields,
)
from webapp.services.certification_path_management.eligibility import (
    active_certificate,
    certified_blocker,
    certified_path_ids,
    enrolment_blockers,
    missing_prerequisites,
    renewable_certificate,
    renewal_opens_at,
    visible_to,
)
from webapp.services.certification_path_management.enrolment import (
    enrol,
    enrol_many,
    initialise_ledger,
    open_enrolment,
    self_enrol,
)
from webapp.services.certification_path_management.requirements import (
    VIDEO_URL_RE,
    add_requirement,
    move_requirement,
    quiz_of_tenant,
    remove_requirement,
    reorder_requirements,
    requirement_settings,
    update_requirement,
    validate_requirement_fields,
)
from webapp.services.certification_path_management.versions import (
    QuizUsage,
    current_definition,
    latest_quiz_versions,
    latest_version,
    publish_path,
    quiz_usage,
    requirement_definition,
    requirements_fingerprint,
    snapshot_of,
    validate_for_publishing,
)

# The org unit tree is services.org_units'; its scope helpers stay reachable here for the
# callers of `paths.unit_scope` / `paths.unit_subtree`.
from webapp.services.org_units import unit_scope, unit_subtree

__all__ = [
    "PROGRAMME_FIELDS",
    "SLUG_RE",
    "VIDEO_URL_RE",
    "QuizUsage",
    "active_certificate",
    "add_requirement",
    "archive_figures",
    "archive_programme",
    "certified_blocker",
    "certified_path_ids",
    "create_programme",
    "current_definition",
    "default_renewal_window",
    "delete_programme",
    "deletion_refusal",
    "enrol",
    "enrol_many",
    "enrolment_blockers",
    "has_enrolments",
    "initialise_ledger",
    "latest_quiz_versions",
    "latest_version",
    "missing_prerequisites",
    "move_requirement",
    "name_taken",
    "open_enrolment",
    "prerequisite_cycle",
    "publish_path",
    "quiz_of_tenant",
    "quiz_usage",
    "remove_requirement",
    "renewable_certificate",
    "renewal_opens_at",
    "reorder_requirements",
    "requirement_definition",
    "requirement_settings",
    "requirements_fingerprint",
    "self_enrol",
    "set_badge",
    "snapshot_of",
    "unit_scope",
    "unit_subtree",
    "update_programme",
    "update_requirement",
    "validate_for_publishing",
    "validate_programme_fields",
    "validate_requirement_fields",
    "visible_to",
]
