"""What SA publishes that customers are told about: the notification topics and which page each concerns."""

from __future__ import annotations

from enum import StrEnum
from typing import Mapping

from core.rights import Menu


class Topic(StrEnum):
    """A kind of news a user can follow or opt out of (user menu › Notifikationer)."""

    MEETINGS = "moeder"  # a meeting's papers or referat published
    ACTIONS = "aktionsliste"  # an action item new or changed
    RUNBOOKS = "drejeboeger"  # a runbook changed
    AGREEMENTS = "kundeaftaler"  # an agreement version published


TOPIC_LABELS: Mapping[Topic, str] = {
    Topic.MEETINGS: "Mødedokumenter og referater",
    Topic.ACTIONS: "Aktionspunkter",
    Topic.RUNBOOKS: "Ændringer i drejebøger",
    Topic.AGREEMENTS: "Nye aftaleversioner",
}

# The page a topic's news lives on: only users who may open it there are told.
TOPIC_MENU: Mapping[Topic, Menu] = {
    Topic.MEETINGS: Menu.MOEDER,
    Topic.ACTIONS: Menu.AKTIONSLISTE,
    Topic.RUNBOOKS: Menu.DREJEBOEGER,
    Topic.AGREEMENTS: Menu.KUNDEAFTALER,
}
