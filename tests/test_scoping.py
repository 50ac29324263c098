"""The third lock, automatic (data/scoping.py): customer-owned rows stay inside the request's scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.access import AccessScope
from data import scoping
from data.db import get_session
from data.models import AccountingUnit, ActionItem, Contact, Customer, Grant, User
from data.scoping import CustomerOwned, ScopeNotSet, bind_scope, customer_owned_models, narrowed, unscoped
from pages.ids import aktionsliste as Ids
from tests import content_world, world


@pytest.fixture
def content(app):
    with app.app_context():
        return content_world.build(get_session())


def _raw_session(app):
    """Return a session as production code gets one in a request: no scope until a wrapper binds one."""
    session = get_session()
    session.info.clear()
    return session


def test_every_model_with_a_customer_column_is_marked():
    from data.models import Base

    owned = set(customer_owned_models())
    for mapper in Base.registry.mappers:
        if "cvr" in mapper.columns:
            assert mapper.class_ in owned, f"{mapper.class_.__name__} has a cvr column but no CustomerOwned marker"
    assert Customer in owned and Contact in owned and Grant in owned and User not in owned


def test_a_query_with_no_scope_and_no_unscoped_raises(app, content):
    with app.app_context():
        session = _raw_session(app)
        with pytest.raises(ScopeNotSet):
            session.scalars(select(ActionItem)).all()
        with pytest.raises(ScopeNotSet):
            session.scalar(select(Customer.name).where(Customer.cvr == world.CVR_B))
        # A model no customer owns needs no scope.
        assert session.scalars(select(User)).first() is not None


def test_a_request_without_the_wrapper_has_no_scope(app, content):
    with app.test_request_context("/"):
        with pytest.raises(ScopeNotSet):
            get_session().scalars(select(Contact)).all()


def test_unscoped_says_why_and_ends_with_its_block(app, content):
    with app.app_context():
        session = _raw_session(app)
        with unscoped(session, "test: every customer") as same:
            cvrs = {row.cvr for row in same.scalars(select(ActionItem))}
        assert {world.CVR_A, world.CVR_B} <= cvrs
        assert scoping.current_scope(session) is None
        with pytest.raises(ScopeNotSet):
            session.scalars(select(ActionItem)).all()


def test_bound_scope_filters_selects_joins_gets_and_updates(app, content):
    with app.app_context():
        session = _raw_session(app)
        with unscoped(session, "test: ids of the other customer's rows"):
            foreign = session.scalars(select(ActionItem).where(ActionItem.cvr == world.CVR_B)).first()
            foreign_id, foreign_subject = foreign.id, foreign.subject
            session.expunge_all()
        bind_scope(session, AccessScope.single(world.CVR_A))
        # A forgotten .where: only customer A's rows come back.
        assert {row.cvr for row in session.scalars(select(ActionItem))} == {world.CVR_A}
        assert {cvr for (cvr,) in session.execute(select(Customer.cvr))} == {world.CVR_A}
        # Joined entities carry the criteria too.
        joined = session.execute(select(Customer.cvr, AccountingUnit.code).join(AccountingUnit)).all()
        assert joined and {cvr for cvr, _ in joined} == {world.CVR_A}
        # Relationship loads: customer B's units are not reachable through a relationship either.
        customer = session.get(Customer, world.CVR_A)
        assert all(unit.cvr == world.CVR_A for unit in customer.accounting_units)
        assert session.get(Customer, world.CVR_B) is None
        assert session.get(ActionItem, foreign_id) is None
        # A forged id in a bulk UPDATE touches nothing of another customer.
        result = session.execute(update(ActionItem).where(ActionItem.id == foreign_id).values(subject="overtaget"))
        assert result.rowcount == 0
        session.commit()
    with app.app_context():
        with unscoped(get_session(), "test: check the other customer's row"):
            assert get_session().get(ActionItem, foreign_id).subject == foreign_subject


def test_a_scope_only_narrows(app, content):
    with app.app_context():
        session = _raw_session(app)
        bind_scope(session, AccessScope.single(world.CVR_A))
        # An explicit scope for another customer cannot widen the request's.
        with narrowed(session, AccessScope.single(world.CVR_B)):
            assert session.scalars(select(ActionItem)).all() == []
        with narrowed(session, AccessScope(all_customers=True)):
            assert {row.cvr for row in session.scalars(select(ActionItem))} == {world.CVR_A}
        bind_scope(session, AccessScope(all_customers=True))
        assert {row.cvr for row in session.scalars(select(ActionItem))} == {world.CVR_A}


def _render_payload(app, client, cvr):
    spec = next(s for key, s in _callback_map(client).items() if f"{Ids.GRID}.rowData" in key)
    values = {f"{Ids.AREA}.value": "Alle", f"{Ids.SHOW_CLOSED}.value": [], f"{Ids.UNIT}.value": "*",
              f"{Ids.EXPAND_ALL}.n_clicks": 0, f"{Ids.CVR}.data": cvr}

    def dep(d):
        return {"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}

    return {"output": spec["output"], "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                                                   for o in spec["output"].strip(".").split("...")],
            "inputs": [dep(d) for d in spec["inputs"]], "state": [dep(d) for d in spec["state"]],
            "changedPropIds": [f"{Ids.AREA}.value"]}


def _callback_map(client):
    return {item["output"]: item for item in client.get("/_dash-dependencies").get_json()}


@pytest.mark.parametrize("email, cvr, expected", [
    (world.LAESER_A, world.CVR_A, {world.CVR_A}),
    (world.LAESER_B, world.CVR_B, {world.CVR_B}),
    (world.ADMIN_AB, world.CVR_A, {world.CVR_A, world.CVR_B}),  # Aktionsliste is open to them on both
])
def test_a_forgotten_where_in_a_real_callback_returns_only_the_users_customers(app, client, login, content,
                                                                                monkeypatch, email, cvr, expected):
    seen: dict[str, set[str]] = {}

    def naive_action_items(scope, cvr, *args, **kwargs):
        # The bug the lock exists for: every customer-owned model read with no .where at all.
        session = get_session()
        for model in customer_owned_models():
            seen[model.__name__] = {row.cvr for row in session.scalars(select(model))}
        return []

    monkeypatch.setattr("data.actions.action_items", naive_action_items)
    login(email)
    response = client.post("/_dash-update-component", json=_render_payload(app, client, cvr))
    assert response.status_code == 200, response.data[:300]
    assert seen["ActionItem"] == expected
    for model, cvrs in seen.items():
        assert cvrs <= expected, f"{model}: {cvrs - expected} leaked"
    assert issubclass(ActionItem, CustomerOwned)


def test_sa_staff_read_every_customer_through_the_same_path(app, client, login, content, monkeypatch):
    seen: set[str] = set()

    def naive_action_items(scope, cvr, *args, **kwargs):
        seen.update(row.cvr for row in get_session().scalars(select(ActionItem)))
        return []

    monkeypatch.setattr("data.actions.action_items", naive_action_items)
    login(world.SA_STAFF)
    response = client.post("/_dash-update-component", json=_render_payload(app, client, world.CVR_A))
    assert response.status_code == 200
    assert {world.CVR_A, world.CVR_B} <= seen
