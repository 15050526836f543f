"""The product pages of the admin: the list, the add/change form (saved through the
services), the status actions with their confirmation page, the stock adjustment."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product, ProductImage, ProductStatus, StockLevel, StockMovement, Variant
from catalog.services import images, products, stock, taxonomy
from catalog.services.stock import StockChange
from meschain.models import AuditLog, Event
from tests.catalog.admin_pages import add_rows, change_form_data, messages_of
from tests.catalog.conftest import image_bytes, stored_files

pytestmark = pytest.mark.django_db

LIST = "/admin/catalog/product/"


def _row_of(html: str, title: str) -> str:
    """The <tr> of the results table that shows `title`."""
    rows = re.findall(r"<tr>.*?</tr>", html.split('id="result_list"', 1)[1], flags=re.S)
    [row] = [r for r in rows if f">{title}</a>" in r]
    return row


def _new_variant(sku: str, price: str = "10.00", **extra: str) -> dict[str, str]:
    return {"sku": sku, "price": price, "vat_rate": "20.00", "is_active": "on", **extra}


class TestList:
    def test_columns(self, admin_client_for, manager, tenant_a, make_product, media_root):
        shirts = taxonomy.save_category(tenant_a.pk, name="Shirts")
        product = make_product(tenant_a, title="Linen shirt", skus=["LIN-S", "LIN-M"], category_id=shirts.pk)
        Variant.objects.filter(sku="LIN-M").update(price="25.50")
        small, medium = product.variants.order_by("position", "id")
        stock.adjust(tenant_a.pk, small.pk, delta=7)
        stock.adjust(tenant_a.pk, medium.pk, delta=3)
        stock.apply_stock_changes(
            tenant_a.pk, [StockChange(small.pk, reserved_delta=2)], reason="order_reserve"
        )
        image = images.add_image(product, SimpleUploadedFile("a.png", image_bytes(100, 100)))
        make_product(tenant_a, title="Bare tee", skus=["TEE-1", "TEE-2", "TEE-3", "TEE-4"])

        response = admin_client_for(manager).get(LIST)

        assert response.status_code == 200
        html = response.content.decode()
        row = _row_of(html, "Linen shirt")
        assert f'<img src="/media/{image.thumbnail.name}" alt="" class="mc-thumb">' in row
        assert '<td class="field-sku_list">LIN-S, LIN-M</td>' in row
        assert '<td class="field-price_range">10.00 – 25.50</td>' in row
        assert '<td class="field-available_stock">8</td>' in row  # 7 − 2 + 3
        assert '<span class="mc-badge mc-badge-draft">Draft</span>' in row
        assert '<td class="field-category nowrap">Shirts</td>' in row
        bare = _row_of(html, "Bare tee")
        assert '<span class="mc-thumb mc-thumb-empty" title="no image"></span>' in bare
        assert '<td class="field-sku_list">TEE-1, TEE-2, TEE-3 +1 more</td>' in bare
        assert '<td class="field-price_range">10.00</td>' in bare
        assert '<td class="field-available_stock">0</td>' in bare

    def test_page_has_no_inline_style_or_script(self, admin_client_for, manager, tenant_a, make_product):
        make_product(tenant_a)

        html = admin_client_for(manager).get(LIST).content.decode()

        assert '<link href="/static/meschain/catalog-admin.css" media="all" rel="stylesheet">' in html
        assert " style=" not in html
        assert "<style" not in html
        assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []

    def test_query_count_does_not_grow_with_the_rows(
        self, admin_client_for, manager, tenant_a, make_product, media_root, django_assert_max_num_queries
    ):
        brand = taxonomy.save_brand(tenant_a.pk, name="Acme")
        category = taxonomy.save_category(tenant_a.pk, name="Tops")

        def make(count: int) -> None:
            for _ in range(count):
                product = make_product(tenant_a, skus=None, brand_id=brand.pk, category_id=category.pk)
                stock.adjust(tenant_a.pk, product.variants.get().pk, delta=2)
                images.add_image(product, SimpleUploadedFile("a.png", image_bytes(20, 20)))

        client = admin_client_for(manager)
        make(2)
        with CaptureQueriesContext(connection) as few:
            assert client.get(LIST).status_code == 200
        make(30)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(LIST)
        assert response.context["cl"].result_count == 32
        assert len(few.captured_queries) <= 15

    def test_search_by_title_sku_and_barcode(self, admin_client_for, manager, tenant_a, make_product):
        shirt = make_product(tenant_a, title="Linen shirt", skus=["LIN-S", "LIN-M"])
        coat = make_product(tenant_a, title="Wool coat", skus=["COAT-1"])
        Variant.objects.filter(sku="COAT-1").update(barcode="4006381333931")
        client = admin_client_for(manager)

        def found(query: str) -> list[int]:
            return [p.pk for p in client.get(LIST, {"q": query}).context["cl"].result_list]

        assert found("linen") == [shirt.pk]
        assert found("LIN-M") == [shirt.pk]
        assert found("4006381333931") == [coat.pk]
        assert found("nothing-like-this") == []

    def test_filters(self, admin_client_for, manager, tenant_a, make_product):
        acme = taxonomy.save_brand(tenant_a.pk, name="Acme")
        tops = taxonomy.save_category(tenant_a.pk, name="Tops")
        a = make_product(tenant_a, brand_id=acme.pk)
        b = make_product(tenant_a, category_id=tops.pk)
        c = make_product(tenant_a)
        products.change_status(c, "published")
        client = admin_client_for(manager)

        def found(**params: object) -> set[int]:
            return {p.pk for p in client.get(LIST, params).context["cl"].result_list}

        assert found(status="published") == {c.pk}
        assert found(status="draft") == {a.pk, b.pk}
        assert found(brand__id__exact=acme.pk) == {a.pk}
        assert found(category__id__exact=tops.pk) == {b.pk}

    def test_viewer_sees_the_list_without_actions_or_import(
        self, admin_client_for, viewer, tenant_a, make_product
    ):
        make_product(tenant_a)

        response = admin_client_for(viewer).get(LIST)

        assert response.status_code == 200
        html = response.content.decode()
        assert 'href="/admin/catalog/product/import/"' not in html
        assert 'href="/admin/catalog/product/export/csv/?"' in html
        assert set(response.context["cl"].model_admin.get_actions(response.wsgi_request)) == {
            "export_csv_selected",
            "export_xlsx_selected",
        }
        assert admin_client_for(viewer).get("/admin/catalog/product/import/").status_code == 403


class TestAddAndChange:
    def test_add_goes_through_the_service(self, admin_client_for, manager, tenant_a):
        client = admin_client_for(manager)
        brand = taxonomy.save_brand(tenant_a.pk, name="Acme")
        page = client.get("/admin/catalog/product/add/")
        data = change_form_data(page, title="Linen shirt", description="Summer", brand=brand.pk)
        add_rows(
            data, "variants", [_new_variant("LIN-S", "39.90", barcode="4006381333931"), _new_variant("LIN-M")]
        )

        response = client.post("/admin/catalog/product/add/", data, follow=True)

        product = Product.objects.get()
        assert response.redirect_chain[-1][0] == LIST
        assert messages_of(response) == [
            f'The product “<a href="/admin/catalog/product/{product.pk}/change/">Linen shirt</a>” was added successfully.'
        ]
        assert (product.tenant_id, product.title, product.brand_id, product.status) == (
            tenant_a.pk, "Linen shirt", brand.pk, ProductStatus.DRAFT,
        )  # fmt: skip
        assert [(v.sku, str(v.price), v.barcode) for v in product.variants.order_by("position")] == [
            ("LIN-S", "39.90", "4006381333931"),
            ("LIN-M", "10.00", None),
        ]
        assert AuditLog.objects.filter(action="product.created", object_id=str(product.pk)).count() == 1
        assert LogEntry.objects.get().object_id == str(product.pk)

    def test_add_with_an_image(self, admin_client_for, manager, tenant_a, media_root):
        client = admin_client_for(manager)
        data = change_form_data(client.get("/admin/catalog/product/add/"), title="Mug")
        add_rows(data, "variants", [_new_variant("MUG")])
        add_rows(data, "images", [{"image": SimpleUploadedFile("mug.jpg", image_bytes(800, 800, "JPEG")),
                                   "alt_text": "Mug", "position": "0"}])  # fmt: skip

        response = client.post("/admin/catalog/product/add/", data)

        assert response.status_code == 302
        image = ProductImage.objects.get()
        assert (image.product.title, image.tenant_id, image.alt_text) == ("Mug", tenant_a.pk, "Mug")
        assert stored_files(media_root) == sorted([image.image.name, image.thumbnail.name])

    def test_superuser_adds_for_the_tenant_picked(self, admin_client_for, superuser, tenant_b):
        client = admin_client_for(superuser)
        data = change_form_data(
            client.get("/admin/catalog/product/add/"), title="Platform tee", tenant=tenant_b.pk
        )
        add_rows(data, "variants", [_new_variant("PT-1")])

        response = client.post("/admin/catalog/product/add/", data)

        assert response.status_code == 302
        assert Product.objects.get().tenant_id == tenant_b.pk
        assert Variant.objects.get().tenant_id == tenant_b.pk

    def test_needs_a_variant(self, admin_client_for, manager):
        client = admin_client_for(manager)
        data = change_form_data(client.get("/admin/catalog/product/add/"), title="Nothing to sell")

        response = client.post("/admin/catalog/product/add/", data)

        assert response.status_code == 200
        assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
            "Please submit at least 1 form."
        ]
        assert not Product.objects.exists()

    def test_service_refusal_is_a_message_and_nothing_is_saved(
        self, admin_client_for, manager, tenant_a, make_product
    ):
        make_product(tenant_a, skus=["TAKEN"])
        client = admin_client_for(manager)
        data = change_form_data(client.get("/admin/catalog/product/add/"), title="Copy")
        add_rows(data, "variants", [_new_variant("TAKEN")])
        before = (Product.objects.count(), AuditLog.objects.count())

        response = client.post("/admin/catalog/product/add/", data, follow=True)

        assert response.redirect_chain == [("/admin/catalog/product/add/", 302)]
        assert messages_of(response) == [
            "Some fields are not valid.",
            "variants #1 sku: A variant with this SKU already exists.",
        ]
        assert (Product.objects.count(), AuditLog.objects.count()) == before

    def test_bad_barcode_is_refused(self, admin_client_for, manager):
        client = admin_client_for(manager)
        data = change_form_data(client.get("/admin/catalog/product/add/"), title="Tee")
        add_rows(data, "variants", [_new_variant("TEE", barcode="1234567890123")])

        response = client.post("/admin/catalog/product/add/", data, follow=True)

        assert messages_of(response) == [
            "Some fields are not valid.",
            "variants #1 barcode: Not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit).",
        ]
        assert not Product.objects.exists()

    def test_change_updates_product_and_variants_and_adds_one(
        self, admin_client_for, manager, tenant_a, make_product
    ):
        product = make_product(tenant_a, title="Tee", skus=["TEE-S"])
        url = f"/admin/catalog/product/{product.pk}/change/"
        client = admin_client_for(manager)
        page = client.get(url)
        # a saved SKU is shown, not edited
        assert (
            'name="variants-0-sku" value="TEE-S" class="vTextField" maxlength="64" disabled'
            in page.content.decode()
        )
        data = change_form_data(page, title="Tee, organic", **{"variants-0-price": "12.50"})
        add_rows(data, "variants", [_new_variant("TEE-M", "13.00")])

        response = client.post(url, data, follow=True)

        assert response.redirect_chain[-1][0] == LIST
        product.refresh_from_db()
        assert product.title == "Tee, organic"
        assert [(v.sku, str(v.price)) for v in product.variants.order_by("id")] == [
            ("TEE-S", "12.50"),
            ("TEE-M", "13.00"),
        ]
        audit = AuditLog.objects.filter(action="product.updated", object_id=str(product.pk)).get()
        assert (audit.before["title"], audit.after["title"]) == ("Tee", "Tee, organic")
        assert LogEntry.objects.get().get_change_message() == (
            "Changed Title. Added variant “TEE-M”. Changed Price for variant “TEE-S”."
        )

    def test_saving_unchanged_writes_nothing(self, admin_client_for, manager, tenant_a, make_product):
        product = make_product(tenant_a)
        url = f"/admin/catalog/product/{product.pk}/change/"
        client = admin_client_for(manager)
        before = AuditLog.objects.count()

        response = client.post(url, change_form_data(client.get(url)))

        assert response.status_code == 302
        assert AuditLog.objects.count() == before

    def test_published_product_edit_announces_it(self, admin_client_for, manager, tenant_a, make_product):
        product = make_product(tenant_a, title="Tee")
        products.change_status(product, "published")
        Event.objects.all().delete()
        url = f"/admin/catalog/product/{product.pk}/change/"
        client = admin_client_for(manager)

        client.post(url, change_form_data(client.get(url), title="Tee 2"))

        assert list(Event.objects.values_list("type", flat=True)) == ["product.updated"]

    def test_change_page_shows_stock_per_warehouse(self, admin_client_for, manager, tenant_a, make_product):
        product = make_product(tenant_a, skus=["S-1"])
        second = taxonomy.save_warehouse(tenant_a.pk, code="depot", name="Depot")
        variant = product.variants.get()
        stock.adjust(tenant_a.pk, variant.pk, delta=5)
        stock.adjust(tenant_a.pk, variant.pk, delta=2, warehouse_id=second.pk)
        stock.apply_stock_changes(
            tenant_a.pk, [StockChange(variant.pk, reserved_delta=1)], reason="order_reserve"
        )

        html = admin_client_for(manager).get(f"/admin/catalog/product/{product.pk}/change/").content.decode()

        assert '<div class="mc-stock-line">Main warehouse: 5 / 1 / <strong>4</strong></div>' in html
        assert '<div class="mc-stock-line">Depot: 2 / 0 / <strong>2</strong></div>' in html

    def test_image_upload_in_the_inline(self, admin_client_for, manager, tenant_a, make_product, media_root):
        product = make_product(tenant_a)
        url = f"/admin/catalog/product/{product.pk}/change/"
        client = admin_client_for(manager)
        data = change_form_data(client.get(url))
        add_rows(data, "images", [{"image": SimpleUploadedFile("front.png", image_bytes(640, 320)),
                                   "alt_text": "Front", "position": "0"}])  # fmt: skip

        response = client.post(url, data)

        assert response.status_code == 302
        image = ProductImage.objects.get(product=product)
        assert image.alt_text == "Front"
        assert stored_files(media_root) == sorted([image.image.name, image.thumbnail.name])
        page = client.get(url).content.decode()
        assert (
            f'<img src="/media/{image.thumbnail.name}" alt="Front" class="mc-thumb mc-thumb-large">' in page
        )

    def test_fake_image_in_the_inline_is_a_form_error(
        self, admin_client_for, manager, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)
        url = f"/admin/catalog/product/{product.pk}/change/"
        client = admin_client_for(manager)
        data = change_form_data(client.get(url))
        add_rows(data, "images", [{"image": SimpleUploadedFile("fake.png", b"plain text, not a picture"),
                                   "alt_text": "", "position": "0"}])  # fmt: skip

        response = client.post(url, data)

        assert response.status_code == 200
        formset = response.context["inline_admin_formsets"][1].formset
        assert formset.errors[0]["image"] == [
            "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
        ]
        assert not ProductImage.objects.exists() and stored_files(media_root) == []

    def test_inline_changes_and_deletes_images(
        self, admin_client_for, manager, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)
        first = images.add_image(product, SimpleUploadedFile("a.png", image_bytes(20, 20)), alt_text="One")
        second = images.add_image(product, SimpleUploadedFile("b.png", image_bytes(20, 20)), alt_text="Two")
        url = f"/admin/catalog/product/{product.pk}/change/"
        client = admin_client_for(manager)
        data = change_form_data(client.get(url), **{"images-0-alt_text": "First", "images-1-DELETE": "on"})

        response = client.post(url, data)

        assert response.status_code == 302
        assert list(ProductImage.objects.values_list("pk", "alt_text")) == [(first.pk, "First")]
        assert not ProductImage.objects.filter(pk=second.pk).exists()
        assert set(AuditLog.objects.filter(action__startswith="product.image_").values_list("action", flat=True)) == {
            "product.image_added", "product.image_updated", "product.image_deleted",
        }  # fmt: skip

    def test_delete_goes_through_the_service(self, admin_client_for, manager, tenant_a, make_product):
        product = make_product(tenant_a)

        response = admin_client_for(manager).post(
            f"/admin/catalog/product/{product.pk}/delete/", {"post": "yes"}
        )

        assert response.status_code == 302
        assert not Product.objects.exists()
        assert AuditLog.objects.filter(action="product.deleted", object_id=str(product.pk)).count() == 1


class TestStatusActions:
    def _post(self, client, action: str, ids: list[int], **extra: str):
        return client.post(LIST, {"action": action, "_selected_action": ids, **extra}, follow=True)

    def test_publish_asks_first_then_changes_set_based(
        self, admin_client_for, manager, tenant_a, make_product
    ):
        draft_a = make_product(tenant_a, title="A draft")
        draft_b = make_product(tenant_a, title="B draft")
        archived = make_product(tenant_a, title="C archived")
        products.change_status(archived, "archived")
        no_active = make_product(tenant_a, title="D inactive")
        Variant.objects.filter(product=no_active).update(is_active=False)
        ids = [draft_a.pk, draft_b.pk, archived.pk, no_active.pk]
        client = admin_client_for(manager)

        page = self._post(client, "publish_selected", ids)

        html = page.content.decode()
        assert page.context["title"] == "Set the status to Published?"
        assert "2 products will be set to Published." in html
        assert "2 will be skipped: the change is not allowed for them." in html
        assert [(r["product"].title, r["moves"]) for r in page.context["rows"]] == [
            ("A draft", True), ("B draft", True), ("C archived", False), ("D inactive", False),
        ]  # fmt: skip
        assert Product.objects.filter(status=ProductStatus.PUBLISHED).count() == 0  # nothing yet

        done = self._post(client, "publish_selected", ids, post="yes")

        assert messages_of(done) == [
            "2 products are now Published. 2 were skipped: the change is not allowed for them."
        ]
        assert dict(Product.objects.values_list("title", "status")) == {
            "A draft": "published", "B draft": "published", "C archived": "archived", "D inactive": "draft",
        }  # fmt: skip
        assert Event.objects.filter(type="product.published").count() == 2

    def test_archive_and_back_to_draft(self, admin_client_for, manager, tenant_a, make_product):
        one, two = make_product(tenant_a), make_product(tenant_a)
        client = admin_client_for(manager)

        archived = self._post(client, "archive_selected", [one.pk, two.pk], post="yes")
        again = self._post(client, "archive_selected", [one.pk], post="yes")
        drafted = self._post(client, "draft_selected", [one.pk], post="yes")

        assert messages_of(archived) == ["2 products are now Archived."]
        assert messages_of(again) == [
            "0 products are now Archived. 1 was skipped: the change is not allowed for it."
        ]
        assert messages_of(drafted) == ["1 product is now Draft."]
        assert {one.pk: "draft", two.pk: "archived"} == dict(Product.objects.values_list("pk", "status"))

    def test_confirmation_has_no_button_when_nothing_can_change(
        self, admin_client_for, manager, tenant_a, make_product
    ):
        product = make_product(tenant_a)

        page = self._post(admin_client_for(manager), "draft_selected", [product.pk])

        assert "0 products will be set to Draft." in page.content.decode()
        assert "Yes, I’m sure" not in page.content.decode()

    def test_operator_may_viewer_may_not(self, admin_client_for, operator, viewer, tenant_a, make_product):
        product = make_product(tenant_a)

        as_viewer = self._post(admin_client_for(viewer), "publish_selected", [product.pk], post="yes")
        product.refresh_from_db()
        assert product.status == "draft"
        assert as_viewer.status_code == 200 and "No action selected." in messages_of(as_viewer)

        self._post(admin_client_for(operator), "publish_selected", [product.pk], post="yes")
        product.refresh_from_db()
        assert product.status == "published"


class TestStockAdjustment:
    def _post(self, client, ids, **fields):
        return client.post(LIST, {"action": "adjust_stock", "_selected_action": ids, **fields}, follow=True)

    def test_form_then_delta_for_every_variant(self, admin_client_for, manager, tenant_a, make_product):
        one = make_product(tenant_a, title="One", skus=["ONE-S", "ONE-M"])
        two = make_product(tenant_a, title="Two", skus=["TWO"])
        client = admin_client_for(manager)

        page = self._post(client, [one.pk, two.pk])

        assert page.context["title"] == "Adjust stock"
        assert [v.sku for v in page.context["variants"]] == ["ONE-S", "ONE-M", "TWO"]
        assert not StockMovement.objects.exists()

        done = self._post(
            client, [one.pk, two.pk], apply="yes", mode="delta", quantity="5", note="Delivery 42"
        )

        assert messages_of(done) == ["Stock adjusted for 3 variants."]
        movements = StockMovement.objects.order_by("variant__sku")
        assert [
            (m.variant.sku, m.on_hand_delta, m.on_hand_after, m.reason, m.note, m.actor_id) for m in movements
        ] == [
            ("ONE-M", 5, 5, "manual", "Delivery 42", manager.pk),
            ("ONE-S", 5, 5, "manual", "Delivery 42", manager.pk),
            ("TWO", 5, 5, "manual", "Delivery 42", manager.pk),
        ]
        assert Event.objects.filter(type="stock.updated").count() == 3

    def test_absolute_in_a_chosen_warehouse(self, admin_client_for, manager, tenant_a, make_product):
        product = make_product(tenant_a, skus=["A", "B"])
        depot = taxonomy.save_warehouse(tenant_a.pk, code="depot", name="Depot")
        a = product.variants.get(sku="A")
        stock.adjust(tenant_a.pk, a.pk, delta=4, warehouse_id=depot.pk)

        done = self._post(admin_client_for(manager), [product.pk], apply="yes", mode="absolute", quantity="4",
                          warehouse=depot.pk)  # fmt: skip

        assert messages_of(done) == ["Stock adjusted for 1 variant. 1 was already at that figure."]
        assert dict(StockLevel.objects.filter(warehouse=depot).values_list("variant__sku", "on_hand")) == {
            "A": 4,
            "B": 4,
        }

    def test_not_enough_stock_changes_nothing(self, admin_client_for, manager, tenant_a, make_product):
        product = make_product(tenant_a, skus=["A", "B"])
        a, b = product.variants.order_by("sku")
        stock.adjust(tenant_a.pk, a.pk, delta=10)
        stock.adjust(tenant_a.pk, b.pk, delta=2)
        before = StockMovement.objects.count()

        page = self._post(admin_client_for(manager), [product.pk], apply="yes", mode="delta", quantity="-5")

        assert page.context["title"] == "Adjust stock"  # the form again
        assert messages_of(page) == ["Not enough stock for 1 line(s).", "B: 2 available, 2 on hand."]
        assert StockMovement.objects.count() == before
        assert dict(StockLevel.objects.values_list("variant__sku", "on_hand")) == {"A": 10, "B": 2}

    def test_invalid_form_is_shown_again(self, admin_client_for, manager, tenant_a, make_product):
        product = make_product(tenant_a)

        page = self._post(
            admin_client_for(manager), [product.pk], apply="yes", mode="absolute", quantity="-1"
        )

        assert page.context["form"].errors == {"quantity": ["Stock cannot be negative."]}
        assert not StockMovement.objects.exists()
