"""Certificates: issuance on completion, numbering, the PDF's storage, verification records,
revocation and the admin list.

Issuance runs as an orchestration completion hook, so completing the last mandatory
requirement issues the certificate in the same transaction; importing this package registers
the hook. Functions flush, never commit. One module per concern, each importing no sibling
but `numbering`:

- `numbering`: numbers `PREFIX-YYYY-NNNNN` per tenant (one atomic counter upsert per tenant
  and year), public tokens, the verification and LinkedIn links;
- `issuance`: the certificate of a completed enrolment, and the completion hook;
- `pdf`: the PDF's storage key and values, rendering and storing it once, failures, renders
  asked again (one, or every stale PDF of a tenant), the stored file;
- `revocation`: revoking a certificate with its reason;
- `grace`: grace periods (extensions) of expiring or just-expired certificates, their limits
  and how they change a certificate's status;
- `reading`: the status as shown, My Certificates, verification records, the admin list and
  its CSV export.

Callers use the names re-exported here.
"""

from webapp.services.certificates.grace import (
    GraceWindow,
    extend_certificate,
    extensions_of,
    grace_window,
)
from webapp.services.certificates.issuance import certificate_of, issue_certificate
from webapp.services.certificates.numbering import (
    PREFIX_RE,
    TOKEN_RE,
    format_number,
    linkedin_url,
    new_public_token,
    next_serial,
    verification_url,
)
from webapp.services.certificates.pdf import (
    pending_pdf_ids,
    record_pdf_failure,
    request_pdf_render,
    request_stale_pdf_renders,
    stale_pdf_count,
    store_certificate_pdf,
    stored_pdf,
)
from webapp.services.certificates.reading import (
    FILTER_STATUSES,
    admin_query,
    csv_cell,
    display_status,
    export_csv,
    find_by_token,
    held_certificates,
    verification_record,
)
from webapp.services.certificates.revocation import MAX_REASON, revoke_certificate

__all__ = [
    "FILTER_STATUSES",
    "GraceWindow",
    "MAX_REASON",
    "PREFIX_RE",
    "TOKEN_RE",
    "admin_query",
    "certificate_of",
    "csv_cell",
    "display_status",
    "export_csv",
    "extend_certificate",
    "extensions_of",
    "find_by_token",
    "format_number",
    "grace_window",
    "held_certificates",
    "issue_certificate",
    "linkedin_url",
    "new_public_token",
    "next_serial",
    "pending_pdf_ids",
    "record_pdf_failure",
    "request_pdf_render",
    "request_stale_pdf_renders",
    "revoke_certificate",
    "stale_pdf_count",
    "store_certificate_pdf",
    "stored_pdf",
    "verification_record",
    "verification_url",
]
