"""The app starts, signs in and serves Stamdata for the customer in context."""

from pages.ids import stamdata as ids
from tests import world


def test_stamdata_own_customer(laeser_a, dash_client):
    response = dash_client.page("/stamdata", f"?cvr={world.CVR_A}")
    assert response.status_code == 200
    assert ids.TABS.encode() in response.data
