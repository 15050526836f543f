"""The low-stock threshold of each variant travels in product files: exported, imported,
empty for the store's default, and a bad value is a row error that applies nothing."""

import pytest

from catalog import files
from catalog.models import Product, Variant
from catalog.services import bulk, products
from tests.catalog.admin_pages import messages_of
from tests.catalog.test_import_export import _import, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["sku", "title", "price", "low_stock_threshold"]
MESSAGE = "low_stock_threshold: Enter a whole number from 0 to 1,000,000, or nothing."


def _thresholds(tenant) -> dict[str, int | None]:
    return dict(Variant.objects.filter(tenant=tenant).values_list("sku", "low_stock_threshold"))


def _rows_of(response) -> list[tuple[int, str, str, list[str]]]:
    return [(r["line"], r["sku"], r["status"], r["errors"]) for r in response.context["report"]["rows"]]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_import_sets_and_clears_thresholds(admin_client_for, manager, tenant_a, kind):
    products.create_product(tenant_a.pk, data={"title": "Cup"},
                            variants=[{"sku": "CUP", "price": "3.00", "low_stock_threshold": 9}])  # fmt: skip
    rows = [["CUP", "Cup", "3.00", ""], ["PLATE", "Plate", "4.00", "12"], ["BOWL", "Bowl", "5.00", "0"]]
    data = (
        csv_bytes(rows, HEADER)
        if kind == "csv"
        else xlsx_bytes(
            [[sku, title, float(price), int(t) if t else None] for sku, title, price, t in rows], HEADER
        )
    )

    response = _import(admin_client_for(manager), f"p.{kind}", data, "reject")

    assert messages_of(response) == ["2 created, 1 updated, 0 unchanged, 0 with errors."]
    assert _thresholds(tenant_a) == {"CUP": None, "PLATE": 12, "BOWL": 0}  # CUP: the store's default now


def test_a_file_without_the_column_leaves_thresholds_alone(admin_client_for, manager, tenant_a):
    products.create_product(tenant_a.pk, data={"title": "Cup"},
                            variants=[{"sku": "CUP", "price": "3.00", "low_stock_threshold": 9}])  # fmt: skip

    _import(admin_client_for(manager), "p.csv", csv_bytes([["CUP", "Cup", "3.50"]], ["sku", "title", "price"]),
            "reject")  # fmt: skip

    assert _thresholds(tenant_a) == {"CUP": 9}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_bad_threshold_is_a_row_error_and_nothing_is_applied(admin_client_for, manager, tenant_a, kind):
    products.create_product(tenant_a.pk, data={"title": "Cup"},
                            variants=[{"sku": "CUP", "price": "3.00", "low_stock_threshold": 9}])  # fmt: skip
    rows = [["CUP", "Cup", "3.00", "2"], ["NEG", "Neg", "1.00", "-1"], ["TEXT", "Text", "1.00", "ten"],
            ["HALF", "Half", "1.00", "2.5"], ["HUGE", "Huge", "1.00", "1000001"]]  # fmt: skip
    if kind == "csv":
        data = csv_bytes(rows, HEADER)
    else:
        typed = {"-1": -1, "2.5": 2.5, "1000001": 1000001, "2": 2}
        data = xlsx_bytes([[s, t, float(p), typed.get(v, v)] for s, t, p, v in rows], HEADER)

    response = _import(admin_client_for(manager), f"p.{kind}", data, "reject")

    assert messages_of(response) == ["Nothing was applied: 4 rows have errors."]
    assert _rows_of(response) == [
        (2, "CUP", "skipped", []),
        *[
            (line, sku, "error", [MESSAGE])
            for line, sku in ((3, "NEG"), (4, "TEXT"), (5, "HALF"), (6, "HUGE"))
        ],
    ]
    assert _thresholds(tenant_a) == {"CUP": 9}


@pytest.mark.parametrize("kind", ["csv", "xlsx", "json"])
def test_thresholds_survive_an_export_and_an_import(tenant_a, tenant_b, kind):
    products.create_product(tenant_a.pk, data={"title": "Set"}, variants=[
        {"sku": "OWN", "price": "3.00", "low_stock_threshold": 7},
        {"sku": "ZERO", "price": "3.00", "low_stock_threshold": 0},
        {"sku": "INHERIT", "price": "3.00"},
    ])  # fmt: skip

    exported = files.write_rows(files.export_rows(Product.objects.filter(tenant=tenant_a)), kind)
    result = bulk.bulk_upsert(tenant_b.pk, files.read_rows(exported, kind).rows)

    assert result.applied and result.counts()["created"] == 3
    assert _thresholds(tenant_b) == _thresholds(tenant_a) == {"OWN": 7, "ZERO": 0, "INHERIT": None}
