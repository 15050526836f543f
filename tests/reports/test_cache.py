"""A sales report is answered from the cache until the roll-ups it reads change: an order,
a status change, an import or a rebuild shows in the very next answer."""

from typing import Any

import pytest

from orders import imports
from orders import services as order_services
from reports.models import DailySales
from reports.services.rebuild import rebuild_rollups
from tests.reports.conftest import NOON, sell

pytestmark = pytest.mark.django_db

URL = "/api/reports/sales?from=2026-11-01&to=2026-11-30"


def _totals(api: Any) -> dict:
    response = api.get(URL)
    assert response.status_code == 200, response.content
    return response.json()["data"]["totals"]


def test_the_same_report_again_reads_no_roll_ups(
    owner: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    sell(owner.tenant, "MUG", 2, "4.00")
    api = client_for(owner)
    first = api.get(URL).json()["data"]

    with django_assert_max_num_queries(10) as context:
        again = api.get(URL).json()["data"]

    assert again == first
    assert not [q for q in context.captured_queries if "reports_" in q["sql"]]


def test_every_change_of_the_roll_ups_shows_in_the_next_answer(
    owner: Any, other_owner: Any, client_for: Any
) -> None:
    api, theirs = client_for(owner), client_for(other_owner)
    order = sell(owner.tenant, "MUG", 2, "4.00")
    assert (_totals(api)["orders"], _totals(theirs)["orders"]) == (1, 0)

    sell(owner.tenant, "MUG", 1, "4.00", days_ago=1)
    assert _totals(api)["orders"] == 2

    order_services.change_status(order, "cancelled")
    assert _totals(api)["orders"] == 1

    imports.import_orders(owner.tenant.pk, [{"external_id": "X1", "placed_at": NOON.isoformat(), "status": "completed",
                          "lines": [{"sku": "CUP", "quantity": 1, "unit_price": "9.00"}]}], channel="import")  # fmt: skip
    assert _totals(api)["orders"] == 2
    assert _totals(theirs)["orders"] == 0  # another tenant's answer is its own

    DailySales.objects.filter(tenant=owner.tenant).update(orders=50)  # drifted behind the services' back
    rebuild_rollups(owner.tenant.pk)
    assert _totals(api)["orders"] == 2
    DailySales.objects.update(orders=50)
    rebuild_rollups()  # every tenant
    assert _totals(api)["orders"] == 2
