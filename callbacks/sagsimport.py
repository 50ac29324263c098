"""Indlæs sager callbacks: poll the case import job the page sent, until the worker is done with it.

SA's own page, tied to no customer: guarded by Action.EDIT_CONTENT (menu=None), so every customer
account is refused before the body runs. The job id comes from the browser and is only a key: the
job table holds no customer's data but the counts, and only SA staff get this far.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, no_update

from auth.guard import AccessContext, portal_callback
from core.rights import Action
from data import case_jobs
from data.db import get_session
from pages.ids import sagsimport as Ids
from pages.sagsimport import job_status, recent_history

_MAX_ID = 2**31 - 1


def _job_id(data: Any) -> int | None:
    value = data.get("job") if isinstance(data, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID:
        return value
    return None


@portal_callback(
    output=dict(status=Output(Ids.STATUS, "children"), stop=Output(Ids.POLL, "disabled"),
                history=Output(Ids.HISTORY, "children")),
    inputs=dict(job=Input(Ids.JOB, "data"), tick=Input(Ids.POLL, "n_intervals")),
    menu=None,
    action=Action.EDIT_CONTENT,
)
def show_job(ctx: AccessContext, job: Any, tick: Any) -> dict[str, Any]:
    """Show the job's progress while it runs, then its report, and refresh the history when it ends."""
    job_id = _job_id(job)
    if job_id is None:
        return {"status": None, "stop": True, "history": no_update}
    view = case_jobs.job_view(get_session(), job_id)
    finished = view is None or view.finished
    return {"status": job_status(view), "stop": finished, "history": recent_history() if finished else no_update}
