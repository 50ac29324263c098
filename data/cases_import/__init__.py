"""The one import path for cases (Sager): validate, write, and update monthly roll-ups incrementally.

Used by `flask import-cases FILE` (data/cli_cases.py) and by the demo seeder.

How it works, and why:

1. **Validate.** Records are read in chunks (a CSV/XLSX file is streamed, never loaded whole:
   `readers`). Each chunk is validated column-wise (`validate`): CVR, unit and goal once per
   distinct value, dates parsed by numpy in C, days taken and met computed vectorised
   (`data.workdays`, `data.rules`), and timestamps written back as SQLAlchemy's text with lookup
   tables (`sqlite_text`). Python holds one chunk at a time, so memory stays flat however large
   the file.
2. **Write.** SQLite (`sqlite`): straight into ``case_`` inside one transaction and a SAVEPOINT:
   an optimistic ``INSERT ... ON CONFLICT DO NOTHING`` per chunk, and a slow path only for chunks
   holding re-imported or duplicated references. PostgreSQL (`postgres`): each chunk COPYed and,
   while all its references are new, inserted into ``case_`` by a writer thread while the next chunk
   is validated; every row also goes to a TEMPORARY staging table, and from the first chunk holding
   a stored or repeated reference on, the rest is written by one ``INSERT ... ON CONFLICT (case_ref)
   DO UPDATE`` from there. The CVR and goal of every row are checked here, against customers and
   goals locked ``FOR KEY SHARE``, so PostgreSQL's row-by-row foreign-key check is skipped where the
   role may (``session_replication_role``).
3. **Duplicates** of a case reference within the file are errors wherever they occur (same chunk
   or not). SQLite finds them from the rows the insert could not add; PostgreSQL in SQL on the
   staging table (an index on case_ref) once a chunk met one. Neither keeps the references in Python.
4. **Atomic.** If any row is bad, nothing is kept (both back ends roll back to a savepoint taken
   before the first row was written) and an `ImportReport` (`report`) lists every
   bad row (line number + Danish reason, up to MAX_REPORTED_ERRORS; `error_count` is always the
   full count).
5. **Re-import** of a case reference updates its case; it is never counted twice.
6. **Roll-ups** (`rollups`) are rewritten for exactly the touched (cvr, goal, unit, month) keys:
   stored roll-up - what the OLD versions of re-imported cases contributed (read before they are
   overwritten, so a case whose completion, goal, unit or CVR moved leaves its old month correct)
   + what the new rows contribute (aggregated in numpy while validating). This costs O(touched
   keys), not O(cases). Should stored roll-ups ever disagree with the cases (a count would go
   negative), the touched keys are recomputed from ``case_`` instead (`recompute_rollups`, also
   usable as a repair tool).
7. **Open counts** (``open_case_day``: open cases per customer, goal, unit and day of receipt, what
   the pages' open and overdue counts read) are rewritten for every customer in the file from its
   open cases (`refresh_open_counts`; `flask --app app recount-open-cases` rewrites them all).
8. **One import at a time**: PostgreSQL takes a transaction-level advisory lock first, SQLite's
   ``BEGIN IMMEDIATE`` lets one writer in.

Line numbers: for files, the physical line (CSV) or sheet row (XLSX) with the header on line 1;
for `import_case_records`, the record's position counted from `first_line` (default 1).
`ImportReport.phases` gives the seconds of each step (validate, insert/stage, index, ...).

The entry points (`entry`) pick the SQLite load or the PostgreSQL staging by the session's dialect.
"""

from data.cases_import.entry import import_case_file, import_case_records
from data.cases_import.readers import (CASE_REF_MAX, DEFAULT_CHUNK_SIZE, FIELDS, NOT_UTF8, REQUIRED_COLUMNS, UNIT_CODE_MAX,
                                       ImportFileError)
from data.cases_import.report import MAX_REPORTED_ERRORS, ImportReport, RowError
from data.cases_import.rollups import RollupKey, recompute_rollups, refresh_open_counts

__all__ = [
    "CASE_REF_MAX", "DEFAULT_CHUNK_SIZE", "FIELDS", "MAX_REPORTED_ERRORS", "NOT_UTF8", "REQUIRED_COLUMNS",
    "UNIT_CODE_MAX", "ImportFileError", "ImportReport", "RollupKey", "RowError", "import_case_file",
    "import_case_records", "recompute_rollups", "refresh_open_counts",
]
