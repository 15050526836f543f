"""manage.py import_orders: CSV and JSON files with good and bad orders, the per-row
report, progress on stderr, and the exit status."""

import json
import os
import subprocess
import sys
from io import BytesIO, StringIO, TextIOWrapper
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from catalog.models import StockLevel
from orders.models import Order

pytestmark = pytest.mark.django_db

HEADER = "external_id,placed_at,status,currency,customer_email,customer_name,shipping_total,sku,title,quantity,unit_price,tax_rate"
CSV_FILE = "\n".join([
    HEADER,
    "W-1,2026-05-01T09:00:00+00:00,,TRY,ayse@example.com,Ayşe,5.00,TEE,T-shirt,2,20.00,20",  # line 2
    "W-1,2026-05-01T09:00:00+00:00,,TRY,ayse@example.com,Ayşe,5.00,MUG,Mug,1,7.50,20",  # line 3
    "W-2,2026-05-01T10:00:00+00:00,,TRY,ali@example.com,Ali,,TEE,T-shirt,two,20.00,20",  # line 4: bad quantity
    "W-3,2026-05-01T11:00:00+00:00,processing,TRY,,,,GHOST,Ghost,1,9.90,",  # line 5: unknown SKU, kept
    ",2026-05-01T12:00:00+00:00,,TRY,,,,TEE,T-shirt,1,20.00,20",  # line 6: no external id
    "W-4,2026-05-01T13:00:00+00:00,,TRY,,,,TEE,T-shirt,4,20.00,20",  # line 7: only 3 left
    "",
])  # fmt: skip
REPORT = [
    "row\texternal_id\tstatus\tnumber\tcode\tmessages",
    "2\tW-1\tcreated\t1001\t\t",
    "4\tW-2\terror\t\tVALIDATION_ERROR\tlines.0.quantity: Enter a whole number from 1 to 100,000.",
    "5\tW-3\tcreated\t1002\t\t",
    "6\t\terror\t\tVALIDATION_ERROR\texternal_id: Each imported order needs an external_id.",
    "7\tW-4\terror\t\tINSUFFICIENT_STOCK\tlines.0: sku=TEE, requested=4, available=3",
]


@pytest.fixture
def catalogue(tenant_a, stocked):
    return stocked(tenant_a, "TEE", 5, price="20.00"), stocked(tenant_a, "MUG", 5, price="7.50")


def level(variant) -> tuple[int, int]:
    row = StockLevel.objects.get(variant=variant)
    return row.on_hand, row.reserved


def run(*args: str) -> tuple[str, str, int]:
    """The command's stdout, stderr and exit status (what run_from_argv would exit with)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_orders", *args, stdout=out, stderr=err)
        status = 0
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        status = exc.returncode
    return out.getvalue(), err.getvalue(), status


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(CSV_FILE, encoding="utf-8")
    return path


def test_csv_with_good_and_bad_rows_reports_each_order_and_exits_1(tenant_a, catalogue, csv_file):
    tee, mug = catalogue

    out, err, status = run(str(csv_file), "--tenant", "alpha")

    assert out.splitlines() == REPORT
    assert err == "CommandError: 2 created, 0 updated, 0 unchanged, 3 with errors.\n"
    assert status == 1
    orders = {o.external_id: o for o in Order.objects.filter(tenant=tenant_a)}
    assert set(orders) == {"W-1", "W-3"}
    assert (orders["W-1"].channel, orders["W-1"].status, str(orders["W-1"].total)) == (
        "import",
        "pending",
        "52.50",
    )
    assert list(orders["W-1"].lines.values_list("sku", "quantity")) == [("TEE", 2), ("MUG", 1)]
    assert orders["W-1"].customer.email == "ayse@example.com"
    assert (orders["W-3"].status, orders["W-3"].needs_attention) == ("processing", True)
    assert orders["W-3"].events.last().actor_label == "manage.py import_orders"
    assert (level(tee), level(mug)) == ((5, 2), (5, 1))


def test_running_the_same_file_again_duplicates_nothing(tenant_a, catalogue, csv_file):
    tee, _mug = catalogue
    run(str(csv_file), "--tenant", "alpha")

    out, err, status = run(str(csv_file), "--tenant", "alpha")

    assert [line.split("\t")[:3] for line in out.splitlines()[1:]] == [
        ["2", "W-1", "unchanged"],
        ["4", "W-2", "error"],
        ["5", "W-3", "unchanged"],
        ["6", "", "error"],
        ["7", "W-4", "error"],
    ]
    assert err == "CommandError: 0 created, 0 updated, 2 unchanged, 3 with errors.\n"
    assert status == 1
    assert Order.objects.filter(tenant=tenant_a).count() == 2
    assert level(tee) == (5, 2)


def test_a_clean_json_file_exits_0_with_a_channel_and_policy(tenant_a, catalogue, tmp_path):
    tee, _mug = catalogue
    path = tmp_path / "batch.data"
    path.write_text(json.dumps({"orders": [
        {"external_id": "A-1", "lines": [{"sku": "TEE", "quantity": 4, "unit_price": "19.00"}]},
        {"external_id": "A-2", "lines": [{"sku": "TEE", "quantity": 4, "unit_price": "19.00"}]},
    ]}))  # fmt: skip

    out, err, status = run(str(path), "--tenant", "alpha", "--format", "json", "--channel", "trendyol:9",
                           "--stock-policy", "skip")  # fmt: skip

    assert out.splitlines()[1:] == ["1\tA-1\tcreated\t1001\t\t", "2\tA-2\tcreated\t1002\t\t"]
    assert err == "2 created, 0 updated, 0 unchanged, 0 with errors.\n"
    assert status == 0
    assert set(Order.objects.values_list("channel", "stock_policy")) == {("trendyol:9", "skip")}
    assert level(tee) == (5, 0)  # skip: stock untouched


def test_json_rows_are_numbered_from_one(tenant_a, catalogue, tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(json.dumps([
        {"external_id": "J-1", "lines": [{"sku": "MUG", "quantity": 1, "unit_price": "7.50"}]},
        "not an order",
        {"external_id": "J-3", "status": "shipped", "lines": [{"sku": "MUG", "quantity": 1, "unit_price": "7.50"}]},
    ]))  # fmt: skip

    out, _err, status = run(str(path), "--tenant", "alpha")

    assert out.splitlines()[1:] == [
        "1\tJ-1\tcreated\t1001\t\t",
        "2\t\terror\t\tVALIDATION_ERROR\texternal_id: Each imported order needs an external_id.",
        "3\tJ-3\terror\t\tVALIDATION_ERROR\tstatus: Not a valid status.",
    ]
    assert status == 1


def test_standard_input_with_a_format(tenant_a, catalogue, monkeypatch):
    document = [{"external_id": "S-1", "lines": [{"sku": "MUG", "quantity": 2, "unit_price": "7.50"}]}]
    monkeypatch.setattr(sys, "stdin", TextIOWrapper(BytesIO(json.dumps(document).encode())))

    out, _err, status = run("-", "--tenant", "alpha", "--format", "json")

    assert (out.splitlines()[1:], status) == (["1\tS-1\tcreated\t1001\t\t"], 0)
    assert Order.objects.get().lines.get().quantity == 2


def test_large_files_show_progress_on_stderr(tenant_a, stocked, tmp_path):
    stocked(tenant_a, "TEE", 2000)
    path = tmp_path / "many.json"
    path.write_text(json.dumps([
        {"external_id": f"M-{n}", "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "1.00"}]}
        for n in range(1200)
    ]))  # fmt: skip

    out, err, status = run(str(path), "--tenant", "alpha")

    assert err.splitlines() == [
        "500 of 1200 orders",
        "1000 of 1200 orders",
        "1200 of 1200 orders",
        "1200 created, 0 updated, 0 unchanged, 0 with errors.",
    ]
    assert len(out.splitlines()) == 1201
    assert out.splitlines()[-1] == "1200\tM-1199\tcreated\t2200\t\t"
    assert status == 0
    assert StockLevel.objects.get(variant__sku="TEE").reserved == 1200


@pytest.mark.parametrize(
    "args, content, message",
    [
        (["--tenant", "nobody"], CSV_FILE, "No tenant with the slug nobody."),
        (["--tenant", "alpha", "--channel", "Bad Channel"], CSV_FILE,
         "channel: This value does not match the required pattern."),
        (["--tenant", "alpha"], "sku,quantity\nTEE,1\n", "file: Missing columns: external_id, unit_price"),
        (["--tenant", "alpha"], "\udcff", "file: The file is not UTF-8 text."),
        (["--tenant", "alpha"], HEADER + "\n", "The file holds no orders."),
        (["--tenant", "alpha", "--format", "json"], "{not json", "This is not a readable JSON file."),
        (["--tenant", "alpha", "--format", "json"], '{"rows": []}',
         "The JSON file must hold a list of orders, or an object with an “orders” list."),
    ],
)  # fmt: skip
def test_unusable_input_imports_nothing_and_exits_2(tenant_a, catalogue, tmp_path, args, content, message):
    path = tmp_path / "orders.csv"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))

    out, err, status = run(str(path), *args)

    assert (out, err, status) == ("", f"CommandError: {message}\n", 2)
    assert not Order.objects.exists()


def test_a_missing_file_or_unknown_extension_exits_2(tenant_a, tmp_path):
    assert run(str(tmp_path / "absent.csv"), "--tenant", "alpha")[1:] == (
        f"CommandError: Cannot read {tmp_path / 'absent.csv'}: No such file or directory\n",
        2,
    )
    assert run(str(tmp_path / "orders.xlsx"), "--tenant", "alpha")[1:] == (
        "CommandError: Name the format with --format csv or --format json.\n",
        2,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_process_exit_status(tenant_a, catalogue, csv_file, tmp_path):
    """The real command in its own process, on the test database."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "import_orders"]
    clean = tmp_path / "clean.csv"
    clean.write_text(HEADER + "\nC-1,,,TRY,,,,MUG,Mug,1,7.50,20\n")

    mixed = subprocess.run(
        [*manage, str(csv_file), "--tenant", "alpha"], capture_output=True, text=True, env=env
    )
    good = subprocess.run([*manage, str(clean), "--tenant", "alpha"], capture_output=True, text=True, env=env)
    bad = subprocess.run([*manage, str(clean), "--tenant", "nobody"], capture_output=True, text=True, env=env)

    assert (mixed.returncode, mixed.stdout.splitlines()) == (1, REPORT)
    assert mixed.stderr.endswith("CommandError: 2 created, 0 updated, 0 unchanged, 3 with errors.\n")
    assert (good.returncode, good.stdout.splitlines()[1:]) == (0, ["2\tC-1\tcreated\t1003\t\t"])
    assert (bad.returncode, bad.stderr) == (2, "CommandError: No tenant with the slug nobody.\n")
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["C-1", "W-1", "W-3"]
