"""Programme files own the programme file format (docs/programme-format.md): exporting a
programme with its quizzes to a JSON document, checking a document for every problem first and
reporting each under its JSON path (`$.requirements[2].min_score`), and importing it into a
tenant as a draft programme.

Modules, each importing only those before it: `document` (format name and version, size
limit, canonical text, reading a file, JSON paths), `export` (a programme as a document),
`schema` (the JSON Schema of the file, published as docs/programme-file.schema.json and built
from the question types, and its errors in the importer's words), `checks` (the schema, then
the rules it cannot state; the import plan), `importing` (a checked document becomes a
draft). Functions flush but never commit; they raise ValidationFailed with every problem by
JSON path.
"""

from __future__ import annotations

from webapp.services.programme_files.checks import check_document
from webapp.services.programme_files.document import (
    FORMAT,
    FORMAT_VERSION,
    MAX_DOCUMENT_BYTES,
    dumps,
    parse_document,
)
from webapp.services.programme_files.export import export_programme, record_export, slugify
from webapp.services.programme_files.importing import import_programme
from webapp.services.programme_files.schema import build_schema, schema_text

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_DOCUMENT_BYTES",
    "build_schema",
    "check_document",
    "dumps",
    "export_programme",
    "import_programme",
    "parse_document",
    "record_export",
    "schema_text",
    "slugify",
]
