"""The one builder of callback payloads: every test call, ordinary or forged, is shaped like the renderer's.

The shape comes from the live callback map (what `/_dash-dependencies` serves) and the CVR of each
callback from the page id modules (`pages/ids/*.py`), so a test names a component and a property,
never a payload: `dash_client.fire(ids.GRID, "cellClicked", cvr=..., values={ids.UNIT: "*"})`.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

# A dependency is named by its component id (a string, or a dict for pattern-matching ids) and property.
DepKey = tuple[Any, str]


class _Unset:
    """Marks an argument the caller did not give (None is a value a forged payload may carry)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def stringify_id(component_id: Any) -> str:
    """Return a component id as the renderer writes it in `output` and `changedPropIds`."""
    if isinstance(component_id, dict):
        # The renderer sorts the keys and writes compact JSON (wildcards as ["ALL"]).
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(component_id)


def prop_id(component_id: Any, prop: str) -> str:
    """Return `id.property` as the renderer writes it in `changedPropIds`."""
    return f"{stringify_id(component_id)}.{prop}"


def _parse_id(raw: str) -> Any:
    return json.loads(raw) if raw.startswith("{") else raw


def _is_pattern(component_id: Any) -> bool:
    # ALL/ALLSMALLER wildcards: the renderer sends a list of the matching components for it.
    return isinstance(component_id, dict) and any(isinstance(v, list) for v in component_id.values())


def _matches(pattern: Any, component_id: Any) -> bool:
    """Tell whether a concrete id is `pattern` itself or one of the components a wildcard pattern matches."""
    if not _is_pattern(pattern) or not isinstance(component_id, dict):
        return pattern == component_id
    if set(pattern) != set(component_id):
        return False
    return all(isinstance(v, list) or component_id[k] == v for k, v in pattern.items())


def cvr_ids() -> frozenset[str]:
    """Return every page's CVR store id, from the page id modules (the dependency the guard checks)."""
    import pages.ids

    found = set()
    for info in pkgutil.iter_modules(pages.ids.__path__):
        module = importlib.import_module(f"pages.ids.{info.name}")
        if isinstance(getattr(module, "CVR", None), str):
            found.add(module.CVR)
        # Pages on the editing kit keep their ids, the CVR store's included, in one `KIT`.
        kit = getattr(module, "KIT", None)
        if isinstance(getattr(kit, "cvr", None), str):
            found.add(kit.cvr)
    return frozenset(found)


@dataclass(frozen=True)
class Dep:
    """One input or state of a callback as the map declares it."""

    id: Any
    property: str

    @property
    def is_pattern(self) -> bool:
        """Tell whether the renderer sends this dependency as a list of matching components."""
        return _is_pattern(self.id)

    @property
    def pattern_type(self) -> Any:
        """Return the `type` of a pattern-matching id (the page id modules' constant), else None."""
        return self.id.get("type") if isinstance(self.id, dict) else None


@dataclass(frozen=True)
class Callback:
    """One server-side callback of the live callback map."""

    output: str
    inputs: tuple[Dep, ...]
    state: tuple[Dep, ...]

    @classmethod
    def from_dependency(cls, entry: dict) -> "Callback":
        """Build from one entry of `/_dash-dependencies`."""
        def deps(items: Iterable[dict]) -> tuple[Dep, ...]:
            return tuple(Dep(_parse_id(d["id"]), d["property"]) for d in items)

        return cls(entry["output"], deps(entry["inputs"]), deps(entry["state"]))

    @property
    def multi(self) -> bool:
        """Tell whether the callback has several outputs (the renderer then sends `outputs` as a list)."""
        return self.output.startswith("..") and self.output.endswith("..")

    @property
    def output_deps(self) -> list[Dep]:
        """Return the outputs in order, parsed from the map's output key."""
        parts = self.output[2:-2].split("...") if self.multi else [self.output]
        result = []
        for part in parts:
            raw, _, prop = part.rpartition(".")
            result.append(Dep(_parse_id(raw), prop))
        return result

    @property
    def outputs(self) -> Any:
        """Return `outputs` in the renderer's shape: a list for several outputs, one dict for one."""
        shaped = [{"id": o.id, "property": o.property} for o in self.output_deps]
        return shaped if self.multi else shaped[0]

    @property
    def deps(self) -> tuple[Dep, ...]:
        """Return inputs then state, the order the guard's indices count in."""
        return self.inputs + self.state

    def has_input(self, component_id: Any, prop: str) -> bool:
        """Tell whether `component_id.prop` (or a component a pattern matches) is one of the inputs."""
        return any(d.property == prop and _matches(d.id, component_id) for d in self.inputs)

    def writes(self, target: Any) -> bool:
        """Tell whether the callback writes `target`: a component id or an (id, property) pair."""
        for out in self.output_deps:
            if isinstance(target, tuple) and (out.id, out.property) == target:
                return True
            if not isinstance(target, tuple) and out.id == target:
                return True
        return False

    def cvr_index(self, ids: frozenset[str]) -> int | None:
        """Return the index (over inputs + state) of the page's CVR store, or None without one."""
        found = [i for i, d in enumerate(self.deps) if isinstance(d.id, str) and d.id in ids]
        if len(found) > 1:
            raise ValueError(f"{self.output} depends on several CVR stores: {found}")
        return found[0] if found else None


def callbacks(dependencies: list[dict]) -> list[Callback]:
    """Return the server-side callbacks of a `/_dash-dependencies` answer (clientside ones run in the browser)."""
    return [Callback.from_dependency(e) for e in dependencies if not e.get("clientside_function")]


def find_callback(dependencies: list[dict], component_id: Any, prop: str, output: Any = None) -> Callback:
    """Return the one callback fired by `component_id.prop`; `output` picks among several it fires."""
    found = [cb for cb in callbacks(dependencies) if cb.has_input(component_id, prop)]
    if output is not None:
        found = [cb for cb in found if cb.writes(output) or cb.output == output]
    if len(found) != 1:
        names = [cb.output for cb in found]
        raise LookupError(f"{prop_id(component_id, prop)} fires {len(found)} callbacks"
                          f"{' writing ' + repr(output) if output is not None else ''}: {names}")
    return found[0]


def _lookup(values: dict, dep: Dep) -> Any:
    """Return the value given for `dep` in `values` (keyed by (id, property), id, or pattern type), else UNSET."""
    for key in ((dep.id, dep.property) if not isinstance(dep.id, dict) else (dep.pattern_type, dep.property),
                dep.id if not isinstance(dep.id, dict) else dep.pattern_type):
        if key in values:
            return values[key]
    return UNSET


def _check_keys(callback: Callback, values: dict) -> None:
    """Refuse a value for a component the callback does not depend on, or an id naming two of its properties."""
    for key in values:
        if isinstance(key, tuple):
            hits = [d for d in callback.deps if (d.id, d.property) == key or (d.pattern_type, d.property) == key]
        else:
            hits = [d for d in callback.deps if d.id == key or (d.pattern_type is not None and d.pattern_type == key)]
            if len(hits) > 1:
                raise ValueError(f"{key!r} names {len(hits)} dependencies of {callback.output}: "
                                 "give (id, property) instead")
        if not hits:
            raise ValueError(f"{callback.output} does not depend on {key!r}")


def build_payload(callback: Callback, trigger: DepKey | None = None, *, values: dict | None = None,
                  cvr: Any = UNSET, default: Any = None, items: list | None = None, initial: bool = False,
                  ids_of_cvr: frozenset[str] | None = None) -> dict:
    """Return the body the renderer POSTs to /_dash-update-component for `callback`.

    `values` maps a component id (or an (id, property) pair; for a pattern-matching dependency, its
    `type`) to a value (for a pattern-matching dependency: the list of the matching components'
    values). `cvr` is put into the page's CVR store. Every other dependency carries `default`, and a
    pattern-matching one `items` (no matching components when None); nothing is filled in
    behind the caller's back, a clicked button included. `initial` sends no changed property, as
    the renderer's first call of a callback does.
    """
    values = dict(values or {})
    _check_keys(callback, values)
    index = callback.cvr_index(cvr_ids() if ids_of_cvr is None else ids_of_cvr)
    if cvr is not UNSET:
        if index is None:
            raise ValueError(f"{callback.output} has no CVR store to put {cvr!r} in")
        dep = callback.deps[index]
        values[(dep.id, dep.property)] = cvr

    if trigger is not None and not callback.has_input(*trigger):
        raise ValueError(f"{prop_id(*trigger)} is not an input of {callback.output}")

    def shaped(dep: Dep) -> Any:
        given = _lookup(values, dep)
        if not dep.is_pattern:
            return {"id": dep.id, "property": dep.property, "value": default if given is UNSET else given}
        listed = (items or []) if given is UNSET else given
        return [{"id": {k: (i if isinstance(v, list) else v) for k, v in dep.id.items()},
                 "property": dep.property, "value": value} for i, value in enumerate(listed)]

    if initial or trigger is None:
        changed = []
    else:
        changed = [prop_id(trigger[0], trigger[1])]
    return {
        "output": callback.output,
        "outputs": callback.outputs,
        "inputs": [shaped(d) for d in callback.inputs],
        "state": [shaped(d) for d in callback.state],
        "changedPropIds": changed,
    }


def split_prop_id(text: str) -> DepKey:
    """Return (id, property) of an `id.property` string as the renderer writes it (pattern ids as JSON)."""
    raw, _, prop = text.rpartition(".")
    return _parse_id(raw), prop


def build_named(dependencies: list[dict], output: str, values: dict[str, Any], trigger: str | None = None,
                items: dict[str, list] | None = None) -> dict:
    """Return the body for the callback whose output key is or contains `output`, values keyed `id.property`.

    Values for components the callback does not depend on are left out (a form page's helpers pass one
    set of values to each of its callbacks); `items` gives the values of each pattern-matching
    dependency by its `type`. Without `trigger`, the first input is the one that changed.
    """
    found = callbacks(dependencies)
    exact = [cb for cb in found if cb.output == output]
    callback = exact[0] if exact else next(cb for cb in found if output in cb.output)
    declared = {(d.id, d.property) for d in callback.deps if not d.is_pattern}
    given: dict = {key: value for key, value in ((split_prop_id(k), v) for k, v in values.items()) if key in declared}
    for dep in callback.deps:
        if dep.is_pattern and items and dep.pattern_type in items:
            given[(dep.pattern_type, dep.property)] = items[dep.pattern_type]
    first = callback.inputs[0]
    changed = split_prop_id(trigger) if trigger else (first.id, first.property)
    return build_payload(callback, changed, values=given)


@contextmanager
def sql_statements(app: Any) -> Iterator[list[str]]:
    """Collect the SQL statements `app` sends to its database inside the block (round trips, on PostgreSQL)."""
    from sqlalchemy import event

    from data.db import get_db

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
