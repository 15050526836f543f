"""Product files: the admin's import (per-row report, both error policies) and export,
the export → import round trip, and the import_products / export_products commands."""

import io
import json
import re
import sys
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from openpyxl import Workbook, load_workbook

from catalog import files
from catalog.management.commands.import_products import Progress
from catalog.models import Category, Product, ProductStatus, StockLevel, StockMovement, Variant
from catalog.services import bulk, products, stock, taxonomy
from meschain.errors import ValidationFailed
from meschain.models import AuditLog
from tests.catalog.admin_pages import messages_of

pytestmark = pytest.mark.django_db

IMPORT = "/admin/catalog/product/import/"
HEADER = ["sku", "product_key", "title", "price", "brand", "category", "stock", "barcode"]
ROWS = [
    ["TEE-S", "TEE", "Tee", "19.90", "Acme", "Shirts", "5", ""],
    ["TEE-M", "TEE", "Tee", "19.90", "Acme", "Shirts", "3", ""],
    ["BAD-1", "", "Broken", "abc", "", "", "", ""],
    ["", "", "No SKU", "1.00", "", "", "", ""],
    ["NEW-2", "", "", "5.00", "", "", "", ""],
    ["GTIN-1", "", "Gtin", "1.00", "", "", "", "1234567890123"],
]
ERRORS = [
    (4, "BAD-1", ["price: Enter a number."]),
    (5, "", ["sku: This field is required."]),
    (6, "NEW-2", ["title: Required for a new product."]),
    (7, "GTIN-1", ["barcode: Not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit)."]),
]


def csv_bytes(rows: list[list[str]] = ROWS, header: list[str] = HEADER, delimiter: str = ",") -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("ignored").append(["sku", "price"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# Numbers typed as numbers, as a spreadsheet holds them.
XLSX_ROWS = [
    ["TEE-S", "TEE", "Tee", 19.9, "Acme", "Shirts", 5, None],
    ["TEE-M", "TEE", "Tee", 19.9, "Acme", "Shirts", 3, None],
    ["BAD-1", None, "Broken", "abc", None, None, None, None],
    [None, None, "No SKU", 1, None, None, None, None],
    ["NEW-2", None, None, 5, None, None, None, None],
    ["GTIN-1", None, "Gtin", 1, None, None, None, 1234567890123],
]


def _import(client, name: str, data: bytes, policy: str):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data), "policy": policy})


def _report(response) -> list[tuple[int, str, str, list[str]]]:
    return [(r["line"], r["sku"], r["status"], r["errors"]) for r in response.context["report"]["rows"]]


class TestAdminImport:
    def test_page_is_linked_from_the_list_and_explains_the_columns(self, admin_client_for, manager):
        client = admin_client_for(manager)

        listing = client.get("/admin/catalog/product/").content.decode()
        page = client.get(IMPORT)

        assert '<a href="/admin/catalog/product/import/" class="mc-tool-import">Import</a>' in listing
        html = page.content.decode()
        assert page.context["title"] == "Import products"
        for column in files.COLUMNS:
            assert f"<code>{column}</code>" in html
        assert " style=" not in html

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_reject_policy_reports_every_row_and_applies_nothing(self, admin_client_for, manager, kind):
        data = csv_bytes() if kind == "csv" else xlsx_bytes(XLSX_ROWS)
        client = admin_client_for(manager)
        before = AuditLog.objects.count()

        response = _import(client, f"products.{kind}", data, "reject")

        assert response.status_code == 200
        assert messages_of(response) == ["Nothing was applied: 4 rows have errors."]
        assert _report(response) == [
            (2, "TEE-S", "skipped", []),
            (3, "TEE-M", "skipped", []),
            *[(line, sku, "error", errors) for line, sku, errors in ERRORS],
        ]
        html = response.content.decode()
        assert '<span class="mc-result mc-result-skipped">not applied</span>' in html
        assert "price: Enter a number." in html
        assert not Product.objects.exists() and not Variant.objects.exists()
        assert not StockMovement.objects.exists()
        assert AuditLog.objects.count() == before

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_apply_valid_applies_the_good_rows(self, admin_client_for, manager, tenant_a, kind):
        data = csv_bytes() if kind == "csv" else xlsx_bytes(XLSX_ROWS)

        response = _import(admin_client_for(manager), f"products.{kind}", data, "apply_valid")

        assert messages_of(response) == ["2 created, 0 updated, 0 unchanged, 4 with errors."]
        assert _report(response) == [
            (2, "TEE-S", "created", []),
            (3, "TEE-M", "created", []),
            *[(line, sku, "error", errors) for line, sku, errors in ERRORS],
        ]
        product = Product.objects.get()
        assert (product.tenant_id, product.title, product.status) == (tenant_a.pk, "Tee", ProductStatus.DRAFT)
        assert (product.brand.name, product.category.name) == ("Acme", "Shirts")
        assert product.category.path == f"/{product.category.pk}/"
        assert dict(StockLevel.objects.values_list("variant__sku", "on_hand")) == {"TEE-S": 5, "TEE-M": 3}
        assert set(StockMovement.objects.values_list("reason", "actor_id")) == {("import", manager.pk)}
        assert [str(v.price) for v in product.variants.all()] == ["19.90", "19.90"]

    def test_second_import_updates_and_reports_unchanged(self, admin_client_for, manager):
        client = admin_client_for(manager)
        _import(client, "a.csv", csv_bytes(ROWS[:2]), "reject")

        changed = [["TEE-S", "TEE", "Tee", "21.00", "Acme", "Shirts", "5", ""], ROWS[1]]
        response = _import(client, "b.csv", csv_bytes(changed), "reject")

        assert messages_of(response) == ["0 created, 1 updated, 1 unchanged, 0 with errors."]
        assert [(line, status) for line, _sku, status, _e in _report(response)] == [
            (2, "updated"),
            (3, "unchanged"),
        ]
        assert str(Variant.objects.get(sku="TEE-S").price) == "21.00"

    def test_excel_style_csv_with_bom_and_semicolons(self, admin_client_for, manager):
        data = b"\xef\xbb\xbf" + csv_bytes([["CANTA-1", "", "Çanta — сумка", "250,00".replace(",", "."), "", "", "", ""]],
                                            delimiter=";")  # fmt: skip

        response = _import(admin_client_for(manager), "excel.csv", data, "reject")

        assert messages_of(response) == ["1 created, 0 updated, 0 unchanged, 0 with errors."]
        assert Product.objects.get().title == "Çanta — сумка"

    def test_blank_lines_are_skipped_and_unknown_columns_named(self, admin_client_for, manager):
        data = b"sku,title,price,colour\nA-1,A,1.00,red\n,,,\n\nB-1,B,2.00,blue\n"

        response = _import(admin_client_for(manager), "a.csv", data, "reject")

        assert [(line, sku) for line, sku, _s, _e in _report(response)] == [(2, "A-1"), (5, "B-1")]
        assert response.context["report"]["ignored_columns"] == ["colour"]
        assert "Columns ignored (not known): colour" in response.content.decode()

    @pytest.mark.parametrize(
        "name, data, error",
        [
            ("products.txt", b"sku,title,price\nA,A,1\n", "Upload a .csv or .xlsx file."),
            ("products.json", b'[{"sku": "A", "title": "A", "price": "1"}]', "Upload a .csv or .xlsx file."),
            ("photo.png", b"\x89PNG\r\n\x1a\n", "Upload a .csv or .xlsx file."),
            ("products.csv", b"\xff\xfe\x00s\x00k\x00u", "The CSV file must be UTF-8 text."),
            ("products.xlsx", b"sku,title,price\nA,A,1\n", "This is not a readable XLSX workbook."),
            ("products.xlsx", b"PK\x03\x04 broken zip", "This is not a readable XLSX workbook."),
            ("products.csv", b"title,price\nA,1\n", "The first row must name the columns, and one of them must be “sku”."),
            ("products.csv", b"sku,title,price\n", "The file has no rows below its header."),
            ("products.csv", b"", "The submitted file is empty."),
        ],
        ids=["txt", "json", "png", "not-utf8", "csv-named-xlsx", "broken-zip", "no-sku-column", "no-rows", "empty"],
    )  # fmt: skip
    def test_unreadable_files_are_refused_cleanly(self, admin_client_for, manager, name, data, error):
        response = _import(admin_client_for(manager), name, data, "reject")

        assert response.status_code == 200
        assert response.context["form"].errors == {"file": [error]}
        assert response.context["report"] is None
        assert not Product.objects.exists()

    def test_xlsx_without_a_header_row(self, admin_client_for, manager):
        workbook = Workbook()
        out = io.BytesIO()
        workbook.save(out)

        response = _import(admin_client_for(manager), "empty.xlsx", out.getvalue(), "reject")

        assert response.context["form"].errors == {"file": ["The file is empty."]}

    def test_too_many_rows_are_refused(self, admin_client_for, manager):
        data = b"sku,title,price\n" + b"".join(b"S-%d,T,1\n" % n for n in range(10_001))

        response = _import(admin_client_for(manager), "big.csv", data, "apply_valid")

        assert response.context["form"].errors == {"file": ["The file has more than 10,000 rows."]}
        assert not Product.objects.exists()

    def test_upload_over_the_size_cap_is_refused(self, admin_client_for, manager, settings):
        settings.MAX_UPLOAD_SIZE = 2000
        data = b"sku,title,price\n" + b"".join(b"S-%d,Title,1.00\n" % n for n in range(200))

        response = _import(admin_client_for(manager), "big.csv", data, "apply_valid")

        assert response.status_code == 413
        assert response.content.decode() == "The request body is larger than the 2.0 KB limit."
        assert not Product.objects.exists()

    def test_invalid_policy_and_missing_file(self, admin_client_for, manager):
        client = admin_client_for(manager)

        response = client.post(IMPORT, {"file": SimpleUploadedFile("a.csv", csv_bytes()), "policy": "yolo"})
        missing = client.post(IMPORT, {"policy": "reject"})

        assert response.context["form"].errors == {
            "policy": ["Select a valid choice. yolo is not one of the available choices."]
        }
        assert missing.context["form"].errors == {"file": ["This field is required."]}
        assert not Product.objects.exists()

    def test_viewer_may_not_import(self, admin_client_for, viewer):
        response = _import(admin_client_for(viewer), "a.csv", csv_bytes(), "apply_valid")

        assert response.status_code == 403
        assert not Product.objects.exists()


@pytest.fixture
def catalogue(tenant_a, make_product):
    """Products with every column filled in some way, and text a spreadsheet could misread."""
    acme = taxonomy.save_brand(tenant_a.pk, name="Acme")
    clothes = taxonomy.save_category(tenant_a.pk, name="Clothes")
    shirts = taxonomy.save_category(tenant_a.pk, name="Shirts", parent_id=clothes.pk)
    shirt = products.create_product(
        tenant_a.pk,
        data={"title": "Linen shirt", "description": "Line one\nline two, with a comma", "brand_id": acme.pk,
              "category_id": shirts.pk},
        variants=[
            {"sku": "LIN-S", "price": "39.90", "barcode": "4006381333931", "name": "S", "compare_at_price": "49.90",
             "cost": "12.35", "vat_rate": "10.00", "weight_grams": 250, "attributes": {"size": "S", "colour": "white"},
             "low_stock_threshold": 4},
            {"sku": "LIN-M", "price": "41.00", "name": "M"},
        ],
    )  # fmt: skip
    tricky = make_product(tenant_a, title="-50% sale", skus=["=SUM(A1)"], description="@mention +1")
    unicode = make_product(tenant_a, title="Çanta — сумка", skus=["00123"])
    products.change_status(unicode, "published")
    stock.adjust(tenant_a.pk, shirt.variants.get(sku="LIN-S").pk, delta=7)
    stock.adjust(tenant_a.pk, tricky.variants.get().pk, delta=2)
    return {"shirt": shirt, "tricky": tricky, "unicode": unicode}


def _snapshot(tenant) -> list[tuple]:
    """What a catalogue file carries, as the database holds it."""
    rows = []
    for v in Variant.objects.filter(tenant=tenant).select_related("product__brand", "product__category"):
        level = StockLevel.objects.filter(variant=v, warehouse__is_default=True).first()
        rows.append((
            v.sku, v.product.title, v.product.description, getattr(v.product.brand, "name", None),
            getattr(v.product.category, "name", None), v.barcode, v.name, str(v.price), str(v.compare_at_price),
            str(v.cost), str(v.vat_rate), v.weight_grams, v.attributes, level.on_hand if level else 0,
            v.low_stock_threshold,
            sorted(v.product.variants.values_list("sku", flat=True)),
        ))  # fmt: skip
    return sorted(rows)


class TestExport:
    def test_csv_has_the_import_columns(self, admin_client_for, manager, catalogue):
        response = admin_client_for(manager).get("/admin/catalog/product/export/csv/")

        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert re.fullmatch(
            r'attachment; filename="products-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
        )
        body = response.content
        assert body.startswith(b"\xef\xbb\xbf")
        lines = body.decode("utf-8-sig").splitlines()
        assert lines[0] == ",".join(files.COLUMNS)
        assert 'LIN-S,LIN-S,Linen shirt,"Line one' in body.decode("utf-8-sig")
        assert "'=SUM(A1),'=SUM(A1),'-50% sale,'@mention +1,,,,,10.00,,,20.00,,,2," in lines  # no threshold
        thresholds = {row["sku"]: row["low_stock_threshold"] for row in files.read_rows(body, "csv").rows}
        assert thresholds == {"LIN-S": 4, "LIN-M": "", "=SUM(A1)": "", "00123": ""}  # "": the store's default

    def test_follows_the_changelist_filters(self, admin_client_for, manager, catalogue):
        client = admin_client_for(manager)

        published = client.get("/admin/catalog/product/export/csv/", {"status": "published"})
        searched = client.get("/admin/catalog/product/export/csv/", {"q": "linen"})
        bad = client.get("/admin/catalog/product/export/csv/", {"nonsense": "1"})
        unknown_format = client.get("/admin/catalog/product/export/pdf/")

        assert [row["sku"] for row in files.read_rows(published.content, "csv").rows] == ["00123"]
        assert [row["sku"] for row in files.read_rows(searched.content, "csv").rows] == ["LIN-S", "LIN-M"]
        assert (bad.status_code, bad["Location"]) == (302, "/admin/catalog/product/?e=1")
        assert unknown_format.status_code == 404

    def test_links_carry_the_current_filters(self, admin_client_for, manager, catalogue):
        html = admin_client_for(manager).get("/admin/catalog/product/", {"status": "draft"}).content.decode()

        assert 'href="/admin/catalog/product/export/csv/?status=draft"' in html
        assert 'href="/admin/catalog/product/export/xlsx/?status=draft"' in html

    def test_xlsx_action_on_selected_products(self, admin_client_for, manager, catalogue):
        response = admin_client_for(manager).post(
            "/admin/catalog/product/",
            {"action": "export_xlsx_selected", "_selected_action": [catalogue["tricky"].pk]},
        )

        assert response["Content-Type"] == files.CONTENT_TYPES["xlsx"]
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == files.COLUMNS
        assert rows[1][:4] == ("=SUM(A1)", "=SUM(A1)", "-50% sale", "@mention +1")
        assert sheet["A2"].data_type == "s"  # text, never a formula
        assert rows[1][8] == 10 and rows[1][14] == 2

    def test_csv_action_on_selected_products(self, admin_client_for, manager, catalogue):
        response = admin_client_for(manager).post(
            "/admin/catalog/product/",
            {"action": "export_csv_selected", "_selected_action": [catalogue["unicode"].pk]},
        )

        assert response.content.decode("utf-8-sig").splitlines()[1].startswith("00123,00123,Çanta — сумка,")


class TestRoundTrip:
    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_export_then_import_changes_nothing(self, admin_client_for, manager, tenant_a, catalogue, kind):
        client = admin_client_for(manager)
        before = _snapshot(tenant_a)
        exported = client.get(f"/admin/catalog/product/export/{kind}/").content
        audit_before = AuditLog.objects.count()

        response = _import(client, f"export.{kind}", exported, "reject")

        assert messages_of(response) == ["0 created, 0 updated, 4 unchanged, 0 with errors."]
        assert _snapshot(tenant_a) == before
        assert AuditLog.objects.filter(action="product.bulk_upsert").count() == 1
        assert AuditLog.objects.count() == audit_before + 1

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_export_into_another_tenant_recreates_the_catalogue(
        self, admin_client_for, manager, tenant_a, tenant_b, make_user, catalogue, kind
    ):
        exported = admin_client_for(manager).get(f"/admin/catalog/product/export/{kind}/").content
        other = make_user(tenant_b, "manager")

        response = _import(admin_client_for(other), f"export.{kind}", exported, "reject")

        assert messages_of(response) == ["4 created, 0 updated, 0 unchanged, 0 with errors."]
        assert _snapshot(tenant_b) == _snapshot(tenant_a)
        again = admin_client_for(other).get(f"/admin/catalog/product/export/{kind}/").content
        assert list(files.read_rows(again, kind).rows) == list(files.read_rows(exported, kind).rows)
        assert Category.objects.get(tenant=tenant_b, name="Shirts").path.count("/") == 2  # a root: /id/


def _run(*argv: str) -> int:
    """manage.py as a shell runs it: output on stdout/stderr, a CommandError printed as
    "CommandError: …" and turned into its exit code (what BaseCommand.run_from_argv does;
    that one also closes the database connection, which would end the test's transaction)."""
    try:
        call_command(*argv)
    except CommandError as exc:
        sys.stderr.write(f"CommandError: {exc}\n")
        return exc.returncode
    return 0


class TestCommands:
    def test_import_csv(self, tenant_a, tmp_path, capsys):
        path = tmp_path / "products.csv"
        path.write_bytes(csv_bytes(ROWS[:2]))

        code = _run("import_products", str(path), "--tenant", "alpha")

        out, err = capsys.readouterr()
        assert code == 0
        assert out == "2 created, 0 updated, 0 unchanged, 0 with errors.\n"
        assert re.fullmatch(r"2/2 rows \(100%, [\d,]+ rows/s\)\n", err)
        assert Product.objects.get().variants.count() == 2

    def test_import_with_bad_rows_rejects_everything(self, tenant_a, tmp_path, capsys):
        path = tmp_path / "products.csv"
        path.write_bytes(csv_bytes())

        code = _run("import_products", str(path), "--tenant", "alpha", "--no-progress")

        out, err = capsys.readouterr()
        assert code == 2
        assert out.splitlines() == [
            "row 4, SKU BAD-1: price: Enter a number.",
            "row 5, SKU —: sku: This field is required.",
            "row 6, SKU NEW-2: title: Required for a new product.",
            "row 7, SKU GTIN-1: barcode: Not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit).",
        ]
        assert err == "CommandError: Nothing was applied: 4 of 6 rows have errors.\n"
        assert not Product.objects.exists()

    def test_import_apply_valid_from_xlsx(self, tenant_a, tmp_path, capsys):
        path = tmp_path / "products.xlsx"
        path.write_bytes(xlsx_bytes(XLSX_ROWS))

        code = _run(
            "import_products", str(path), "--tenant", "alpha", "--policy", "apply_valid", "--no-progress"
        )

        out, err = capsys.readouterr()
        assert code == 1
        assert out.splitlines()[-1] == "2 created, 0 updated, 0 unchanged, 4 with errors."
        assert len(out.splitlines()) == 5
        assert err == "CommandError: 4 rows failed; the others were applied.\n"
        assert sorted(Variant.objects.values_list("sku", flat=True)) == ["TEE-M", "TEE-S"]

    def test_batches_keep_a_products_variants_together(self, tenant_a, tmp_path, capsys):
        rows = [{"sku": f"V-{n}", "product_key": "ONE" if n % 2 else f"P-{n}", "title": f"T{n}", "price": "1"}
                for n in range(7)]  # fmt: skip
        rows.append({"sku": "V-1", "title": "again", "price": "2"})  # the same SKU, far below
        path = tmp_path / "rows.txt"
        path.write_text(json.dumps({"rows": rows}))

        code = _run(
            "import_products", str(path), "--tenant", "alpha", "--format", "json", "--batch-size", "2"
        )

        out, err = capsys.readouterr()
        assert code == 2
        assert out.splitlines() == ["row 8, SKU V-1: sku: This SKU appears earlier in the batch."]
        # batches: V-0 | the variants of ONE with V-1 again | V-2, V-4 | V-6
        assert [line.split(" rows")[0] for line in err.splitlines()[:-1]] == ["1/8", "5/8", "7/8", "8/8"]
        assert err.splitlines()[-1] == "CommandError: Nothing was applied: 1 of 8 rows have errors."
        assert not Product.objects.exists()

        rows.pop()
        path.write_text(json.dumps(rows))
        assert (
            _run("import_products", str(path), "--tenant", "alpha", "--format", "json", "--batch-size", "2")
            == 0
        )
        assert Product.objects.get(variants__sku="V-1").variants.count() == 3
        assert Product.objects.count() == 5

    def test_progress_bar_on_a_terminal(self):
        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        stream = Terminal()
        bar = Progress(OutputWrapper(stream), 4)
        bar.advance(2)
        bar.advance(2)

        frames = stream.getvalue().split("\r")[1:]
        assert frames[0].startswith("[###############---------------] 2/4 rows (50%")
        assert frames[1].startswith("[##############################] 4/4 rows (100%")
        assert stream.getvalue().endswith("\n")

    @pytest.mark.parametrize(
        "argv, message",
        [
            (["missing.csv", "--tenant", "alpha"], "CommandError: Cannot read missing.csv: No such file or directory"),
            (["{csv}", "--tenant", "nope"], "CommandError: No tenant with the slug nope."),
            (["{csv}", "--tenant", "alpha", "--batch-size", "0"], "CommandError: --batch-size must be from 1 to 10000."),
            (["{txt}", "--tenant", "alpha"], "CommandError: {txt}: Upload a .csv, .xlsx or .json file."),
            (["{empty}", "--tenant", "alpha"], "CommandError: {empty} has no rows."),
        ],
        ids=["missing-file", "unknown-tenant", "bad-batch", "unknown-extension", "no-rows"],
    )  # fmt: skip
    def test_import_refusals(self, tenant_a, tmp_path, capsys, monkeypatch, argv, message):
        monkeypatch.chdir(tmp_path)
        names = {
            "csv": str(tmp_path / "a.csv"),
            "txt": str(tmp_path / "a.txt"),
            "empty": str(tmp_path / "e.csv"),
        }
        (tmp_path / "a.csv").write_bytes(csv_bytes(ROWS[:1]))
        (tmp_path / "a.txt").write_bytes(csv_bytes(ROWS[:1]))
        (tmp_path / "e.csv").write_bytes(b"sku,title,price\n")

        code = _run("import_products", *[a.format(**names) for a in argv])

        assert code == 2
        assert capsys.readouterr().err == message.format(**names) + "\n"
        assert not Product.objects.exists()

    @pytest.mark.parametrize("kind", ["csv", "xlsx", "json"])
    def test_export_then_import_into_another_tenant(
        self, tenant_a, tenant_b, catalogue, tmp_path, capsys, kind
    ):
        path = tmp_path / f"catalogue.{kind}"

        assert _run("export_products", "--tenant", "alpha", "--output", str(path)) == 0
        assert capsys.readouterr().err == f"Exported 4 rows ({kind}) to {path}.\n"
        assert _run("import_products", str(path), "--tenant", "bravo", "--no-progress") == 0

        assert capsys.readouterr().out == "4 created, 0 updated, 0 unchanged, 0 with errors.\n"
        assert _snapshot(tenant_b) == _snapshot(tenant_a)
        assert _run("import_products", str(path), "--tenant", "alpha", "--no-progress") == 0
        assert capsys.readouterr().out == "0 created, 0 updated, 4 unchanged, 0 with errors.\n"

    def test_export_to_stdout_and_by_status(self, tenant_a, catalogue, capsys):
        assert _run("export_products", "--tenant", "alpha", "--status", "published", "--format", "json") == 0

        out, err = capsys.readouterr()
        assert json.loads(out) == [
            {"sku": "00123", "product_key": "00123", "title": "Çanta — сумка", "description": "", "brand": "",
             "category": "", "barcode": "", "name": "", "price": "10.00", "compare_at_price": None, "cost": None,
             "vat_rate": "20.00", "weight_grams": None, "attributes": {}, "stock": 0, "low_stock_threshold": None},
        ]  # fmt: skip
        assert err == "Exported 1 rows (json).\n"

        assert _run("export_products", "--tenant", "alpha") == 0
        assert capsys.readouterr().out.splitlines()[0] == ",".join(files.COLUMNS)

    def test_export_refusals(self, tenant_a, tmp_path, capsys):
        assert _run("export_products", "--tenant", "alpha", "--format", "xlsx") == 2
        assert capsys.readouterr().err == "CommandError: An XLSX workbook needs --output FILE.\n"
        assert _run("export_products", "--tenant", "nope") == 2
        assert capsys.readouterr().err == "CommandError: No tenant with the slug nope.\n"
        assert _run("export_products", "--tenant", "alpha", "--output", str(tmp_path / "a.pdf")) == 2
        assert capsys.readouterr().err == "CommandError: Upload a .csv, .xlsx or .json file.\n"
        assert _run("export_products", "--tenant", "alpha", "--output", str(tmp_path / "no" / "a.csv")) == 2
        assert "Cannot write" in capsys.readouterr().err


class TestFileReading:
    def test_cells_become_what_the_bulk_upsert_expects(self):
        parsed = files.read_rows(
            xlsx_bytes([["A", 12.5, 250.0, 3.0, '{"size": "M"}', "'=1+1", 4006381333931.0, True]],
                       header=["SKU", "Price", "Weight grams", "stock", "attributes", "title", "barcode", "name"]),
            "xlsx",
        )  # fmt: skip

        assert parsed.rows == [
            {"sku": "A", "price": "12.5", "weight_grams": 250, "stock": 3, "attributes": {"size": "M"},
             "title": "=1+1", "barcode": "4006381333931", "name": "true"}
        ]  # fmt: skip
        assert parsed.lines == [2]

    def test_bad_attributes_and_weights_reach_the_service_as_they_are(self, tenant_a):
        parsed = files.read_rows(b"sku,title,price,attributes,weight_grams\nA,A,1,not json,heavy\n", "csv")

        assert parsed.rows == [{"sku": "A", "title": "A", "price": "1", "attributes": "not json",
                                "weight_grams": "heavy"}]  # fmt: skip
        result = bulk.bulk_upsert(tenant_a.pk, parsed.rows)
        assert result.rows[0].errors == {
            "weight_grams": ["Enter a whole number of grams."],
            "attributes": ["Enter an object of name: value pairs."],
        }

    @pytest.mark.parametrize(
        "data, error",
        [
            (b"{", "This is not a readable JSON file."),
            (b'{"rows": 3}', "The JSON file must hold a list of rows, or an object with a “rows” list."),
        ],
    )
    def test_json_refusals(self, data, error):
        with pytest.raises(ValidationFailed) as refused:
            files.read_rows(data, "json")

        assert refused.value.details == {"file": [error]}

    def test_json_row_cap_and_unknown_format(self):
        with pytest.raises(ValidationFailed) as too_many:
            files.read_rows(b"[{}, {}, {}]", "json", max_rows=2)
        with pytest.raises(ValidationFailed) as unknown:
            files.write_rows([], "pdf")
        with pytest.raises(ValidationFailed) as unknown_read:
            files.read_rows(b"x", "pdf")

        assert too_many.value.details == {"file": ["The file has more than 2 rows."]}
        assert unknown.value.details == {"file": ["Unknown format pdf: use csv, xlsx or json."]}
        assert unknown_read.value.details == {"file": ["Upload a .csv, .xlsx or .json file."]}

    def test_xlsx_zip_bomb_is_refused(self):
        out = io.BytesIO()
        chunk = b"\0" * (1024 * 1024)
        with (
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            archive.open("xl/worksheets/sheet1.xml", "w") as member,
        ):
            for _ in range(files.MAX_XLSX_EXPANDED_BYTES // len(chunk) + 1):
                member.write(chunk)
        assert len(out.getvalue()) < 1024 * 1024

        with pytest.raises(ValidationFailed) as refused:
            files.read_rows(out.getvalue(), "xlsx")

        assert refused.value.details == {"file": ["The workbook expands to too much data."]}
