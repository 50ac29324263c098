"""The shared tab bar (pages/_tabs.py): a named radio group styled as tabs, and its announced panel."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pytest

from pages._tabs import tab_bar, tab_panel

ITEMS = [("generelt", "Generelt"), ("regnskab", "Regnskab"), ("loen", "Løn")]


@pytest.mark.parametrize("active", ["generelt", "loen"])
def test_tab_bar_is_a_labelled_radio_group_with_the_chosen_value(active):
    bar = tab_bar("x-tabs", ITEMS, active, "X-faneblade")
    assert bar.role == "radiogroup"
    assert getattr(bar, "aria-label") == "X-faneblade"
    radios = bar.children
    assert isinstance(radios, dbc.RadioItems)
    assert radios.id == "x-tabs"
    assert radios.value == active
    assert radios.options == [{"label": text, "value": key} for key, text in ITEMS]


def test_tab_bar_radios_share_one_name_so_the_group_is_one_tab_stop():
    radios = tab_bar("x-tabs", ITEMS, "generelt", "X-faneblade").children
    assert radios.name == "x-tabs"
    # The radios are visually hidden (btn-check) and their labels carry the tab look and the active mark.
    assert radios.input_class_name == "btn-check"
    assert radios.label_class_name == "portal-tab"
    assert radios.label_checked_class_name == "active"
    assert "portal-tabs" in radios.class_name


def test_tab_panel_is_a_named_live_region():
    panel = tab_panel("x-content", "Indhold af det valgte faneblad", className="pt-3")
    assert panel.id == "x-content"
    assert panel.role == "region"
    assert getattr(panel, "aria-label") == "Indhold af det valgte faneblad"
    assert getattr(panel, "aria-live") == "polite"
    assert panel.className == "pt-3"
