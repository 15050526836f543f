"""Every catalogue admin page keeps a tenant's rows to that tenant: lists, change pages,
foreign-key choices, filter choices, actions, import and export. Superusers see all."""

import pytest

from catalog.models import Brand, Category, Product, StockLevel, StockMovement, Warehouse
from catalog.services import stock, taxonomy
from meschain.models import AuditLog
from tests.catalog.admin_pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant_a, tenant_b, make_product):
    """The same kind of rows in both tenants."""
    rows = {}
    for tenant, tag in ((tenant_a, "alpha"), (tenant_b, "bravo")):
        brand = taxonomy.save_brand(tenant.pk, name=f"{tag} brand")
        category = taxonomy.save_category(tenant.pk, name=f"{tag} category")
        warehouse = taxonomy.save_warehouse(tenant.pk, code=f"{tag}-depot", name=f"{tag} depot")
        product = make_product(
            tenant, title=f"{tag} tee", skus=[f"{tag}-TEE"], brand_id=brand.pk, category_id=category.pk
        )
        variant = product.variants.get()
        stock.adjust(tenant.pk, variant.pk, delta=3, warehouse_id=warehouse.pk, note=f"{tag} delivery")
        rows[tag] = {
            "brand": brand,
            "category": category,
            "warehouse": warehouse,
            "product": product,
            "stocklevel": StockLevel.objects.get(variant=variant),
            "stockmovement": StockMovement.objects.get(variant=variant),
        }
    return rows


LISTS = {
    "product": lambda row: row.title,
    "brand": lambda row: row.name,
    "category": lambda row: row.name,
    "warehouse": lambda row: row.name,
    "stocklevel": lambda row: row.variant.sku,
    "stockmovement": lambda row: row.variant.sku,
}


@pytest.mark.parametrize("model", list(LISTS))
def test_manager_lists_only_own_rows(admin_client_for, manager, world, model):
    response = admin_client_for(manager).get(f"/admin/catalog/{model}/")

    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    mine = world["alpha"][model]
    assert mine.pk in shown
    assert world["bravo"][model].pk not in shown
    assert {row.tenant_id for row in response.context["cl"].result_list} == {mine.tenant_id}
    html = response.content.decode()
    assert "bravo" not in html
    assert "column-tenant" not in html


@pytest.mark.parametrize("model", list(LISTS))
def test_manager_cannot_open_other_tenants_row(admin_client_for, manager, world, model):
    theirs = world["bravo"][model]

    response = admin_client_for(manager).get(f"/admin/catalog/{model}/{theirs.pk}/change/", follow=True)

    assert response.redirect_chain == [("/admin/", 302)]
    assert "bravo" not in response.content.decode().replace("alpha", "")
    assert any("doesn’t exist" in message for message in messages_of(response))


@pytest.mark.parametrize("model", ["product", "brand", "category", "warehouse"])
def test_manager_cannot_change_or_delete_other_tenants_row(admin_client_for, manager, world, model):
    theirs = world["bravo"][model]
    client = admin_client_for(manager)
    before = AuditLog.objects.count()

    changed = client.post(
        f"/admin/catalog/{model}/{theirs.pk}/change/", {"name": "hacked", "title": "hacked"}
    )
    deleted = client.post(f"/admin/catalog/{model}/{theirs.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (302, 302)
    assert type(theirs).objects.filter(pk=theirs.pk).exists()
    theirs.refresh_from_db()
    assert "hacked" not in str(theirs)
    assert AuditLog.objects.count() == before


def test_product_form_offers_only_own_brands_and_categories(admin_client_for, manager, world):
    response = admin_client_for(manager).get("/admin/catalog/product/add/")

    form = response.context["adminform"].form
    assert list(form.fields["brand"].queryset) == [world["alpha"]["brand"]]
    assert list(form.fields["category"].queryset) == [world["alpha"]["category"]]
    assert "tenant" not in form.fields


def test_picking_another_tenants_brand_is_refused(admin_client_for, manager, world):
    client = admin_client_for(manager)
    data = {
        "title": "Sneaky", "description": "", "brand": world["bravo"]["brand"].pk, "category": "",
        "attributes": "{}", "initial-attributes": "{}",
        "variants-TOTAL_FORMS": 1, "variants-INITIAL_FORMS": 0, "variants-MIN_NUM_FORMS": 1,
        "variants-MAX_NUM_FORMS": 1000, "variants-0-sku": "SNEAK", "variants-0-price": "1.00",
        "variants-0-vat_rate": "20.00", "variants-0-is_active": "on",
        "images-TOTAL_FORMS": 0, "images-INITIAL_FORMS": 0, "images-MIN_NUM_FORMS": 0, "images-MAX_NUM_FORMS": 1000,
    }  # fmt: skip

    response = client.post("/admin/catalog/product/add/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["brand"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not Product.objects.filter(title="Sneaky").exists()


def test_category_parent_choices_are_own(admin_client_for, manager, world):
    form = admin_client_for(manager).get("/admin/catalog/category/add/").context["adminform"].form

    assert list(form.fields["parent"].queryset) == [world["alpha"]["category"]]


def test_filter_choices_are_own(admin_client_for, manager, world):
    client = admin_client_for(manager)

    product_list = client.get("/admin/catalog/product/").content.decode()
    movement_list = client.get("/admin/catalog/stockmovement/").content.decode()
    level_list = client.get("/admin/catalog/stocklevel/").content.decode()

    assert "alpha brand" in product_list and "alpha category" in product_list
    assert "bravo" not in product_list
    for html in (movement_list, level_list):
        assert "alpha depot" in html and "Main warehouse" in html
        assert "bravo" not in html


def test_actions_ignore_other_tenants_ids(admin_client_for, manager, world):
    theirs = world["bravo"]["product"]
    client = admin_client_for(manager)

    published = client.post(
        "/admin/catalog/product/",
        {"action": "publish_selected", "_selected_action": [theirs.pk], "post": "yes"},
        follow=True,
    )
    adjusted = client.post(
        "/admin/catalog/product/",
        {
            "action": "adjust_stock",
            "_selected_action": [theirs.pk],
            "apply": "yes",
            "mode": "delta",
            "quantity": "5",
        },
        follow=True,
    )

    theirs.refresh_from_db()
    assert theirs.status == "draft"
    assert messages_of(published) == ["0 products are now Published."]
    assert messages_of(adjusted) == ["Stock adjusted for 0 variants."]
    assert StockLevel.objects.get(variant__product=theirs).on_hand == 3


def test_stock_adjustment_offers_and_accepts_only_own_warehouses(admin_client_for, manager, world):
    ours = world["alpha"]["product"]
    client = admin_client_for(manager)
    url = "/admin/catalog/product/"

    page = client.post(url, {"action": "adjust_stock", "_selected_action": [ours.pk]})
    choices = set(page.context["form"].fields["warehouse"].queryset)
    refused = client.post(
        url,
        {"action": "adjust_stock", "_selected_action": [ours.pk], "apply": "yes", "mode": "delta", "quantity": "1",
         "warehouse": world["bravo"]["warehouse"].pk},
    )  # fmt: skip

    assert choices == set(Warehouse.objects.filter(tenant=ours.tenant))
    assert refused.context["form"].errors == {
        "warehouse": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert StockMovement.objects.count() == 2


def test_export_holds_only_own_products(admin_client_for, manager, world):
    response = admin_client_for(manager).get("/admin/catalog/product/export/csv/")

    body = response.content.decode("utf-8-sig")
    assert "alpha-TEE" in body
    assert "bravo" not in body


def test_import_writes_to_own_tenant_only(admin_client_for, manager, world, tenant_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "p.csv", b"sku,title,price\nbravo-TEE,Mine now,1.00\n", content_type="text/csv"
    )

    admin_client_for(manager).post("/admin/catalog/product/import/", {"file": upload, "policy": "reject"})

    theirs = world["bravo"]["product"]
    theirs.refresh_from_db()
    assert theirs.title == "bravo tee"
    assert Product.objects.get(tenant=tenant_a, variants__sku="bravo-TEE").title == "Mine now"


def test_superuser_sees_every_tenant_with_a_tenant_column(admin_client_for, superuser, world):
    client = admin_client_for(superuser)

    for model in LISTS:
        response = client.get(f"/admin/catalog/{model}/")
        shown = {row.pk for row in response.context["cl"].result_list}
        assert {world["alpha"][model].pk, world["bravo"][model].pk} <= shown, model
        assert "column-tenant" in response.content.decode()
    form = client.get("/admin/catalog/product/add/").context["adminform"].form
    assert set(form.fields["brand"].queryset) == set(Brand.objects.all())
    assert "tenant" in form.fields


def test_superuser_picks_the_tenant_of_an_import_and_of_a_new_brand(
    admin_client_for, superuser, world, tenant_b
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = admin_client_for(superuser)
    missing = client.post(
        "/admin/catalog/product/import/",
        {"file": SimpleUploadedFile("p.csv", b"sku,title,price\nX-1,X,1\n"), "policy": "reject"},
    )
    done = client.post(
        "/admin/catalog/product/import/",
        {
            "tenant": tenant_b.pk,
            "file": SimpleUploadedFile("p.csv", b"sku,title,price\nX-1,X,1\n"),
            "policy": "reject",
        },
    )
    brand = client.post(
        "/admin/catalog/brand/add/", {"tenant": tenant_b.pk, "name": "Platform brand", "slug": ""}
    )

    assert missing.context["form"].errors == {"tenant": ["This field is required."]}
    assert done.context["report"]["counts"]["created"] == 1
    assert Product.objects.get(variants__sku="X-1").tenant_id == tenant_b.pk
    assert brand.status_code == 302
    assert Brand.objects.get(name="Platform brand").tenant_id == tenant_b.pk


def test_status_changes_of_own_products_still_work_for_superuser(admin_client_for, superuser, world):
    ids = [world["alpha"]["product"].pk, world["bravo"]["product"].pk]

    response = admin_client_for(superuser).post(
        "/admin/catalog/product/",
        {"action": "publish_selected", "_selected_action": ids, "post": "yes"},
        follow=True,
    )

    assert messages_of(response) == ["2 products are now Published."]
    assert set(Product.objects.values_list("status", flat=True)) == {"published"}


def test_category_of_other_tenant_cannot_be_a_parent(admin_client_for, manager, world):
    response = admin_client_for(manager).post(
        "/admin/catalog/category/add/", {"name": "Child", "slug": "", "parent": world["bravo"]["category"].pk,
                                         "position": 0}
    )  # fmt: skip

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Category.objects.filter(name="Child").exists()
