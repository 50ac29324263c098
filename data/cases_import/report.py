"""The import's report: what an import did, or every bad row and why nothing was written.

An import is atomic: if any row is bad, nothing is kept, and the `ImportReport` lists every bad
row (line number + Danish reason, up to MAX_REPORTED_ERRORS; `error_count` is always the full
count). `ImportReport.phases` gives the seconds of each step (validate, insert/stage, index, ...).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

MAX_REPORTED_ERRORS = 100_000


@dataclass(frozen=True)
class RowError:
    """One bad row: its line number and the Danish reason(s)."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did, or why it did nothing.

    ``ok`` is False when any row was bad; then nothing was written and ``errors`` lists the bad
    rows (at most MAX_REPORTED_ERRORS, in line order) while ``error_count`` counts all of them.
    """

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    open_cases: int = 0
    rollups_recomputed: int = 0
    first_month: dt.date | None = None
    last_month: dt.date | None = None
    seconds: float = 0.0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    # Seconds per phase (read+validate, stage, index, duplicates, upsert, roll-ups, commit): for benchmarks.
    phases: dict[str, float] = field(default_factory=dict)
    # PostgreSQL only: True when the role could not turn off case_'s row-by-row foreign-key checks
    # (no SET privilege on session_replication_role), so the insert checked every row (slower, as safe).
    row_key_checks: bool = False

    def _lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now

    @property
    def ok(self) -> bool:
        """Tell whether the import was written (no bad rows)."""
        return self.error_count == 0

    @property
    def cases_per_second(self) -> float:
        """Return the throughput of the import in rows per second."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def add_error(self, line: int, reason: str) -> None:
        """Record one bad row (kept in the list up to MAX_REPORTED_ERRORS)."""
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, reason))

    def summary_lines(self) -> list[str]:
        """Return the Danish summary of the import (or of its bad rows) line by line."""
        if not self.ok:
            lines = [f"Importen er afvist: {self.error_count} fejlbehæftede rækker ud af {self.rows}. Intet er gemt."]
            lines += [f"Linje {e.line}: {e.reason}" for e in sorted(self.errors, key=lambda e: e.line)]
            if self.error_count > len(self.errors):
                lines.append(f"… og {self.error_count - len(self.errors)} fejl mere.")
            return lines
        lines = [
            f"{self.rows} sager indlæst: {self.inserted} nye og {self.updated} opdaterede"
            f" ({self.open_cases} åbne sager tæller først, når de er afsluttet).",
            f"{self.rollups_recomputed} månedstal genberegnet.",
        ]
        if self.first_month and self.last_month:
            lines.append(f"Berørte måneder: {self.first_month:%m-%Y} til {self.last_month:%m-%Y}.")
        if self.seconds > 0:
            lines.append(f"Tid: {self.seconds:.1f} s ({self.cases_per_second:,.0f} sager/s).".replace(",", "."))
        if self.row_key_checks:
            lines.append("Databasens rolle må ikke springe den rækkevise nøglekontrol over (GRANT SET ON PARAMETER "
                         "session_replication_role), så hver række blev kontrolleret af databasen: samme resultat, "
                         "men langsommere.")
        return lines


def other_customer(case_ref: str) -> str:
    """Return the Danish reason for a line naming a case reference that is stored under another CVR."""
    # A case is identified by CVR and case reference together: a line may not move a case between
    # customers (it changed both customers' figures and was reported only as "opdateret").
    return (f"sagsnummeret '{case_ref}' findes allerede hos et andet CVR-nummer; en sag kan ikke flyttes "
            "mellem kunder")


def closed_case(case_ref: str) -> str:
    """Return the Danish reason for a blank completion on a closed case without an explicit reopening."""
    return (f"sagen '{case_ref}' er afsluttet, og en tom afslutningsdato genåbner den ikke; angiv status "
            "'genåbnet' i kolonnen status (eller --reopen ved import fra kommandolinjen) for at genåbne den")
