"""manage.py report and rebuild_rollups, as staff run them."""

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from reports.models import DailySales
from tests.reports.conftest import sell

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_report_prints_a_table_and_writes_csv_and_xlsx(owner: Any, tmp_path: Path) -> None:
    sell(owner.tenant, "MUG", 3, "4.00")
    sell(owner.tenant, "MUG", 1, "4.00", days_ago=1)
    dates = ["--from", "2026-11-19", "--to", "2026-11-20"]

    table = _run("report", "sales", "--tenant", "alpha", *dates)
    as_csv = _run("report", "sales", "--tenant", "alpha", *dates, "--format", "csv", "--group-by", "week")
    _run(
        "report",
        "inventory",
        "--tenant",
        "alpha",
        "--format",
        "xlsx",
        "--output",
        str(tmp_path / "stock.xlsx"),
    )

    assert "2026-11-20  1       3      12.00" in table
    assert "MUG" in table.split("Top products")[1]
    assert "2026-11-16,2,4,16.00,0.00,0.00,16.00,8.00" in as_csv.splitlines()
    assert openpyxl.load_workbook(tmp_path / "stock.xlsx").sheetnames == [
        "Totals", "Warehouses", "Low stock", "Out of stock"
    ]  # fmt: skip


def test_report_refuses_bad_input_with_a_message(owner: Any) -> None:
    with pytest.raises(CommandError, match="No tenant"):
        _run("report", "sales", "--tenant", "nobody")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("report", "performance", "--tenant", "alpha", "--from", "yesterday")
    with pytest.raises(CommandError, match="--output"):
        _run("report", "sales", "--tenant", "alpha", "--format", "xlsx")


def test_rebuild_rollups_recomputes_what_drifted(owner: Any) -> None:
    sell(owner.tenant, "MUG", 3, "4.00")
    DailySales.objects.update(orders=7)

    printed = _run("rebuild_rollups", "--tenant", "alpha", "--from", "2026-11-01")

    assert DailySales.objects.get().orders == 1
    assert "1 daily sales rows" in printed
