"""Reports for a tenant's admins: completion per programme or org unit (with the people
behind each figure), the requirement funnel of a programme, and the item analysis of a quiz
version; each as figures aggregated in SQL (a constant number of statements, the same figures
on PostgreSQL and SQLite) and as CSV. The expiring-soon report lives with recertification.

Modules: `csv_export` (safe CSV lines, shared with the audit log), `sql` (what differs between
the databases: days between timestamps, medians, per-question outcomes as rows), `completion`,
`funnel`, `items`. Reads only.
"""

from __future__ import annotations

from webapp.services.reports.completion import (
    GROUPS,
    NO_UNIT,
    PEOPLE_STATUSES,
    CompletionRow,
    PersonRow,
    completion,
    completion_csv,
    completion_people,
    unit_paths,
)
from webapp.services.reports.csv_export import csv_cell, csv_row
from webapp.services.reports.funnel import Funnel, FunnelStep, funnel_csv, requirement_funnel
from webapp.services.reports.items import (
    DISCRIMINATION_LOW,
    FACILITY_HIGH,
    FACILITY_LOW,
    ItemAnalysis,
    ItemStats,
    VersionChoice,
    item_analysis,
    items_csv,
    pearson,
    version_choices,
)

__all__ = [
    "DISCRIMINATION_LOW",
    "FACILITY_HIGH",
    "FACILITY_LOW",
    "GROUPS",
    "NO_UNIT",
    "PEOPLE_STATUSES",
    "CompletionRow",
    "Funnel",
    "FunnelStep",
    "ItemAnalysis",
    "ItemStats",
    "PersonRow",
    "VersionChoice",
    "completion",
    "completion_csv",
    "completion_people",
    "csv_cell",
    "csv_row",
    "funnel_csv",
    "item_analysis",
    "items_csv",
    "pearson",
    "requirement_funnel",
    "unit_paths",
    "version_choices",
]
