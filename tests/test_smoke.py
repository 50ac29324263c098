"""The app starts, signs in and serves Stamdata for the customer in context."""

from tests import world


def test_stamdata_own_customer(laeser_a, dash_client):
    response = dash_client.page("/stamdata", f"?cvr={world.CVR_A}")
    assert response.status_code == 200
    assert b"stamdata-tabs" in response.data
