"""People of a tenant: the directory, a person's record and page, invitations and password
resets, deactivation, and bulk import from CSV. Functions flush, never commit. One module per
concern:

- `rules`: addresses, names, roles and external ids; the admin guards (a tenant keeps an
  active admin, an admin keeps their own admin role and account);
- `directory`: the list with search, filters, sorting and pages; the org unit tree as people
  pages show it (indented choices, `Operations/North` paths);
- `editing`: creating a person, changing their record, their role;
- `lifecycle`: deactivating (sessions end at once), reactivating, deleting a record without
  history;
- `invitations`: invitations, and password resets that answer alike for every address;
- `profile`: a person's page (enrolments with progress, certificates, decisions, audit);
- `csvfile` and `importing`: reading people CSV files, the preview and the import.

Callers use the names re-exported here.
"""

from webapp.services.people.csvfile import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, decode_upload
from webapp.services.people.directory import (
    SORT_KEYS,
    STATUSES,
    UnitNode,
    directory_page,
    parse_sort,
    subtree_ids,
    unit_at,
    unit_choices,
    unit_paths,
    unit_tree,
)
from webapp.services.people.editing import (
    PersonFields,
    check_password,
    create_person,
    person_problems,
    set_password,
    set_role,
    update_person,
)
from webapp.services.people.importing import (
    ImportPlan,
    ImportResult,
    PlanChanged,
    PreviewRefused,
    apply_import,
    open_preview,
    plan_import,
    seal_preview,
)
from webapp.services.people.invitations import (
    invite,
    request_password_reset,
    send_password_reset,
)
from webapp.services.people.lifecycle import (
    History,
    deactivate,
    delete_person,
    deletion_refusal,
    history,
    reactivate,
)
from webapp.services.people.profile import Profile, person_profile
from webapp.services.people.rules import normalise_email, parse_role

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "SORT_KEYS",
    "STATUSES",
    "History",
    "ImportPlan",
    "ImportResult",
    "PersonFields",
    "PlanChanged",
    "PreviewRefused",
    "Profile",
    "UnitNode",
    "apply_import",
    "check_password",
    "create_person",
    "deactivate",
    "decode_upload",
    "delete_person",
    "deletion_refusal",
    "directory_page",
    "history",
    "invite",
    "normalise_email",
    "open_preview",
    "parse_role",
    "parse_sort",
    "person_problems",
    "person_profile",
    "plan_import",
    "reactivate",
    "request_password_reset",
    "seal_preview",
    "send_password_reset",
    "set_password",
    "set_role",
    "subtree_ids",
    "unit_at",
    "unit_choices",
    "unit_paths",
    "unit_tree",
    "update_person",
]
