"""Scoped reads of a customer's runbooks (Drejebøger), their versions and what changed between two.

A runbook belongs to one accounting unit (Regnskab) or payroll group (Løn, Refusion) and one
section; its versions hold the content as JSON. Content from the database is normalised before
use, so a malformed version can neither break a page nor smuggle in another customer's files:
attachments resolve only to stored files of the same customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from core.access import AccessScope
from data.db import get_session
from data.models import Runbook, RunbookVersion, StoredFile
from data.units import valid_unit_code

# Tab key (as in the URL) -> area name (as stored).
AREAS: dict[str, str] = {"regnskab": "Regnskab", "loen": "Løn", "refusion": "Refusion"}

SECTIONS: dict[str, tuple[str, ...]] = {
    "Regnskab": ("Finans", "Kreditor"),
    "Løn": ("Afrapportering", "Afstemning", "Løn", "mTime"),
    "Refusion": ("Afstemning", "Kontering", "Virklister", "Refusion"),
}

UNIT_LABELS = {"Regnskab": "Bogføringskreds", "Løn": "Løngruppe", "Refusion": "Løngruppe"}

POINT_FIELDS: dict[str, str] = {"deviation": "Afvigelse", "description": "Beskrivelse", "file_ids": "Vedhæftninger"}
TASK_FIELDS: dict[str, str] = {"task": "Opgave", "description": "Beskrivelse", "frequency": "Frekvens",
                               "file_ids": "Vedhæftninger"}

# Bounds so one stored version cannot make a page arbitrarily large.
MAX_ITEMS = 500
MAX_TEXT = 10_000
MAX_FILES = 50


def parse_version(value: Any) -> int | None:
    """Return `value` as a version number (1..1_000_000), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 7:
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= 1_000_000:
        return value
    return None


# --- content normalisation -------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)[:MAX_TEXT]


def _file_ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    ids: list[int] = []
    for item in value[:MAX_FILES]:
        if isinstance(item, bool):
            continue
        if isinstance(item, str) and item.isdigit():
            item = int(item)
        if isinstance(item, int) and item > 0 and item not in ids:
            ids.append(item)
    return ids


def normalize_content(raw: Any) -> dict[str, list[dict[str, Any]]]:
    """Return runbook content as {'points': [...], 'tasks': [...]} with every field present and typed."""
    raw = raw if isinstance(raw, dict) else {}
    out: dict[str, list[dict[str, Any]]] = {"points": [], "tasks": []}
    for key, fields in (("points", POINT_FIELDS), ("tasks", TASK_FIELDS)):
        items = raw.get(key)
        if not isinstance(items, list):
            continue
        for item in items[:MAX_ITEMS]:
            if not isinstance(item, dict):
                continue
            out[key].append({f: (_file_ids(item.get(f)) if f == "file_ids" else _text(item.get(f))) for f in fields})
    return out


# --- the diff --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of a point or task that differs between two versions."""

    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ItemChange:
    """A point or task added, removed or changed between two versions."""

    kind: Literal["added", "removed", "changed"]
    name: str
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class RunbookDiff:
    """What changed from version `from_version` to `to_version`, for points and for tasks."""

    from_version: int
    to_version: int
    points: tuple[ItemChange, ...] = ()
    tasks: tuple[ItemChange, ...] = ()
    unchanged_points: int = 0
    unchanged_tasks: int = 0

    @property
    def is_empty(self) -> bool:
        """Tell whether the two versions have the same points and tasks."""
        return not self.points and not self.tasks


def _keyed(items: list[dict[str, Any]], name_field: str) -> dict[tuple[str, int], dict[str, Any]]:
    # Items are matched by name; repeated names are matched in order of appearance.
    seen: dict[str, int] = {}
    keyed: dict[tuple[str, int], dict[str, Any]] = {}
    for item in items:
        name = item[name_field].strip()
        n = seen.get(name, 0)
        seen[name] = n + 1
        keyed[(name, n)] = item
    return keyed


def _diff_items(old: list[dict[str, Any]], new: list[dict[str, Any]], name_field: str,
                labels: dict[str, str]) -> tuple[tuple[ItemChange, ...], int]:
    old_k, new_k = _keyed(old, name_field), _keyed(new, name_field)
    changes: list[ItemChange] = []
    unchanged = 0
    for key, item in new_k.items():
        before = old_k.get(key)
        if before is None:
            changes.append(ItemChange("added", key[0], None, item))
            continue
        fields = tuple(
            FieldChange(f, labels[f], before.get(f), item.get(f))
            for f in labels
            if f != name_field and before.get(f) != item.get(f)
        )
        if fields:
            changes.append(ItemChange("changed", key[0], before, item, fields))
        else:
            unchanged += 1
    for key, item in old_k.items():
        if key not in new_k:
            changes.append(ItemChange("removed", key[0], item, None))
    return tuple(changes), unchanged


def diff_contents(old: Any, new: Any, from_version: int = 0, to_version: int = 0) -> RunbookDiff:
    """Return what changed between two runbook contents (points by Afvigelse, tasks by Opgave)."""
    old_c, new_c = normalize_content(old), normalize_content(new)
    points, same_points = _diff_items(old_c["points"], new_c["points"], "deviation", POINT_FIELDS)
    tasks, same_tasks = _diff_items(old_c["tasks"], new_c["tasks"], "task", TASK_FIELDS)
    return RunbookDiff(from_version, to_version, points, tasks, same_points, same_tasks)


# --- scoped reads ----------------------------------------------------------------------------


def _runbook(scope: AccessScope, cvr: str, area: str, unit_code: str, section: str) -> Runbook | None:
    if area not in SECTIONS or section not in SECTIONS[area] or not valid_unit_code(unit_code):
        return None
    stmt = select(Runbook).where(
        scope.clause(Runbook.cvr), Runbook.cvr == cvr, Runbook.area == area,
        Runbook.unit_code == unit_code, Runbook.section == section,
    )
    return get_session().scalar(stmt)


def _version_meta(v: RunbookVersion) -> dict[str, Any]:
    return {"version": v.version, "changed_at": v.changed_at, "changed_by": v.changed_by}


def attachments(scope: AccessScope, cvr: str, file_ids: list[int]) -> dict[int, str]:
    """Return {file id: file name} for those of `file_ids` that are stored files of `cvr` in `scope`."""
    ids = sorted({i for i in file_ids if isinstance(i, int) and not isinstance(i, bool)})
    if not ids:
        return {}
    stmt = select(StoredFile.id, StoredFile.filename).where(
        StoredFile.id.in_(ids), StoredFile.cvr == cvr, scope.clause(StoredFile.cvr)
    )
    return {fid: name for fid, name in get_session().execute(stmt)}


def _all_file_ids(*contents: dict[str, list[dict[str, Any]]]) -> list[int]:
    return [fid for c in contents for key in ("points", "tasks") for item in c[key] for fid in item["file_ids"]]


def current_runbook(scope: AccessScope, cvr: str, area: str, unit_code: str, section: str) -> dict[str, Any] | None:
    """Return the current version of one runbook of `cvr` inside `scope`, with its history; None if none."""
    book = _runbook(scope, cvr, area, unit_code, section)
    if book is None:
        return None
    versions = sorted(book.versions, key=lambda v: v.version)
    if not versions:
        return None
    current = next((v for v in versions if v.version == book.current_version), versions[-1])
    content = normalize_content(current.content)
    return {
        "area": book.area,
        "unit_code": book.unit_code,
        "section": book.section,
        **_version_meta(current),
        "content": content,
        "files": attachments(scope, cvr, _all_file_ids(content)),
        "versions": [_version_meta(v) for v in reversed(versions)],
    }


def version_diff(scope: AccessScope, cvr: str, area: str, unit_code: str, section: str,
                 from_version: int, to_version: int) -> tuple[RunbookDiff, dict[int, str]] | None:
    """Return the diff between two versions of one runbook of `cvr` in `scope` and their file names."""
    # None when the runbook or either version does not exist for this customer.
    book = _runbook(scope, cvr, area, unit_code, section)
    if book is None:
        return None
    by_number = {v.version: v for v in book.versions}
    if from_version not in by_number or to_version not in by_number:
        return None
    old = normalize_content(by_number[from_version].content)
    new = normalize_content(by_number[to_version].content)
    files = attachments(scope, cvr, _all_file_ids(old, new))
    # Compare only attachments this customer can see: a foreign or missing file is no change to show.
    for content in (old, new):
        for key in ("points", "tasks"):
            for item in content[key]:
                item["file_ids"] = [fid for fid in item["file_ids"] if fid in files]
    return diff_contents(old, new, from_version, to_version), files


__all__ = [
    "AREAS",
    "FieldChange",
    "ItemChange",
    "POINT_FIELDS",
    "RunbookDiff",
    "SECTIONS",
    "TASK_FIELDS",
    "UNIT_LABELS",
    "attachments",
    "current_runbook",
    "diff_contents",
    "normalize_content",
    "parse_version",
    "version_diff",
]
