"""An operator works an order through a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from catalog.models import StockLevel
from catalog.services import products, stock
from orders import services
from tests.e2e.test_admin import SITE, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_moves_an_order_to_processing_and_adds_a_note(page: Page, operator: User) -> None:
    tenant = operator.tenant
    product = products.create_product(
        tenant.pk, data={"title": "Linen shirt"}, variants=[{"sku": "SHIRT-M", "price": "49.90"}]
    )
    products.change_status(product, "published")
    variant = product.variants.get()
    stock.adjust(tenant.pk, variant.pk, delta=5)
    order = services.place_order(
        tenant.pk,
        channel="storefront",
        lines=[{"sku": "SHIRT-M", "quantity": 2}],
        customer={"email": "ayse@example.com", "name": "Ayşe Yılmaz"},
    )
    log_in(page, "alpha-operator")

    page.locator("#content-main .app-orders th[scope=row]").get_by_role(
        "link", name="Orders", exact=True
    ).click()
    expect(page).to_have_title(f"Select order to view | {SITE}")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td.field-status_badge .order-status--pending")).to_have_text("Pending")
    expect(row.locator("td.field-total_display")).to_have_text("99.80 TRY")
    row.get_by_role("link", name=order.number).click()

    expect(page).to_have_title(f"{order.number} | View order | {SITE}")
    workflow = page.locator("#order-workflow")
    expect(workflow.locator(".order-status")).to_have_text("Pending")
    expect(workflow.get_by_role("button")).to_have_text(["Start processing", "Cancel order"])
    expect(page.locator("#lines-group td.field-sku")).to_have_text(["SHIRT-M"])

    workflow.get_by_role("button", name="Start processing").click()

    expect(page.locator(".messagelist .success")).to_have_text(f"Order {order.number} is now Processing.")
    expect(workflow.locator(".order-status")).to_have_text("Processing")
    expect(workflow.get_by_role("button")).to_have_text(["Mark completed", "Cancel order"])

    page.get_by_label("Add a note").fill("Packed in a gift box, courier at 4 pm.")
    page.get_by_role("button", name="Add note").click()

    expect(page.locator(".messagelist .success")).to_have_text("Note added.")
    events = page.locator("#order-timeline .order-event")
    expect(events.locator(".order-event__kind")).to_have_text(["Created", "Status changed", "Note"])
    expect(events.nth(1).locator(".order-event__change")).to_have_text("Pending → Processing")
    expect(events.nth(1).locator(".order-event__actor")).to_have_text("alpha-operator")
    expect(events.nth(2).locator(".order-event__note")).to_have_text("Packed in a gift box, courier at 4 pm.")
    expect(events.nth(2).locator(".order-event__actor")).to_have_text("alpha-operator")
    expect(page.locator("#order-timeline time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-"))

    order.refresh_from_db()
    assert order.status == "processing"
    assert list(order.events.values_list("kind", "to_status", "note")) == [
        ("created", "pending", ""),
        ("status", "processing", ""),
        ("note", "", "Packed in a gift box, courier at 4 pm."),
    ]
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (5, 2)
