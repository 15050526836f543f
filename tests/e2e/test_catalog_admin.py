"""An operator keeps the catalogue in a real browser: creates a product, publishes it
through the action's confirmation page, adjusts its stock and imports a CSV."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from catalog.models import Product, StockLevel, StockMovement
from tests.e2e.test_admin import SITE, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CSV = b"sku,product_key,title,price,stock\nMUG-W,MUG,Enamel mug,12.50,8\nMUG-B,MUG,Enamel mug,12.50,4\nBAD,,Broken,abc,\n"


def _select_action(page: Page, title: str, action: str) -> None:
    page.locator("#result_list tbody tr", has_text=title).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_create_publish_adjust_and_import(page: Page, owner: User, tmp_path) -> None:
    log_in(page, "alpha-owner")
    page.goto("/admin/catalog/product/")
    expect(page).to_have_title(f"Select product to change | {SITE}")

    # create
    page.get_by_role("link", name="Add product").click()
    page.get_by_label("Title:").fill("Linen shirt")
    page.locator("#id_variants-0-sku").fill("LIN-S")
    page.locator("#id_variants-0-price").fill("39.90")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully.")
    row = page.locator("#result_list tbody tr", has_text="Linen shirt")
    expect(row.locator("td.field-sku_list")).to_have_text("LIN-S")
    expect(row.locator("td.field-price_range")).to_have_text("39.90")
    expect(row.locator("td.field-status_badge .mc-badge-draft")).to_have_text("Draft")

    # publish, through the confirmation page
    _select_action(page, "Linen shirt", "Publish selected products…")

    expect(page).to_have_title(f"Set the status to Published? | {SITE}")
    expect(page.locator(".mc-summary")).to_have_text("1 product will be set to Published.")
    expect(page.locator(".mc-confirm-list tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Yes, I’m sure").click()

    expect(page.locator(".messagelist .success")).to_have_text("1 product is now Published.")
    expect(row.locator("td.field-status_badge .mc-badge-published")).to_have_text("Published")
    assert Product.objects.get().status == "published"

    # adjust stock
    _select_action(page, "Linen shirt", "Adjust stock of selected products…")

    expect(page).to_have_title(f"Adjust stock | {SITE}")
    page.get_by_label("Change on hand by").check()
    page.get_by_label("Quantity:").fill("6")
    page.get_by_label("Note:").fill("First delivery")
    page.get_by_role("button", name="Adjust stock").click()

    expect(page.locator(".messagelist .success")).to_have_text("Stock adjusted for 1 variant.")
    expect(row.locator("td.field-available_stock")).to_have_text("6")
    movement = StockMovement.objects.get()
    assert (movement.on_hand_delta, movement.note, movement.actor_id) == (6, "First delivery", owner.pk)

    # import a small CSV with one bad row, applying the valid ones
    page.get_by_role("link", name="Import").click()
    expect(page).to_have_title(f"Import products | {SITE}")
    upload = tmp_path / "mugs.csv"
    upload.write_bytes(CSV)
    page.get_by_label("File:").set_input_files(str(upload))
    page.get_by_label("Apply the valid rows and report the others").check()
    page.get_by_role("button", name="Import").click()

    expect(page.locator(".messagelist .warning")).to_have_text("2 created, 0 updated, 0 unchanged, 1 with errors.")
    report = page.locator("table.mc-report tbody tr")
    expect(report).to_have_count(3)
    expect(report.nth(0)).to_have_text(re.compile(r"2\s+MUG-W\s+created"))
    expect(report.nth(1)).to_have_text(re.compile(r"3\s+MUG-B\s+created"))
    expect(report.nth(2)).to_have_text(re.compile(r"4\s+BAD\s+error\s+price: Enter a number\."))

    page.get_by_role("link", name="Products").last.click()
    mug = page.locator("#result_list tbody tr", has_text="Enamel mug")
    expect(mug.locator("td.field-sku_list")).to_have_text("MUG-W, MUG-B")
    expect(mug.locator("td.field-available_stock")).to_have_text("12")
    assert dict(StockLevel.objects.values_list("variant__sku", "on_hand")) == {"LIN-S": 6, "MUG-W": 8, "MUG-B": 4}
