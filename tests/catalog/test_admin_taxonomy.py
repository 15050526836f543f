"""Brands, the category tree, warehouses and the read-only stock pages of the admin."""

import pytest
from django.utils import timezone

from catalog.models import Brand, Category, StockLevel, StockMovement, Warehouse
from catalog.services import stock, taxonomy
from catalog.services.stock import StockChange
from meschain.models import AuditLog
from tests.catalog.admin_pages import messages_of

pytestmark = pytest.mark.django_db


class TestBrands:
    def test_add_makes_the_slug_and_is_audited(self, admin_client_for, manager, tenant_a):
        response = admin_client_for(manager).post(
            "/admin/catalog/brand/add/", {"name": "Acme Wear", "slug": ""}
        )

        assert response.status_code == 302
        brand = Brand.objects.get()
        assert (brand.tenant_id, brand.slug) == (tenant_a.pk, "acme-wear")
        assert AuditLog.objects.filter(action="brand.created", object_id=str(brand.pk)).count() == 1

    def test_duplicate_slug_is_a_message(self, admin_client_for, manager, tenant_a):
        taxonomy.save_brand(tenant_a.pk, name="Acme")

        response = admin_client_for(manager).post(
            "/admin/catalog/brand/add/", {"name": "ACME", "slug": "acme"}, follow=True
        )

        assert messages_of(response) == ["Some fields are not valid.", "Another brand already has this slug."]
        assert Brand.objects.count() == 1

    def test_change_and_delete(self, admin_client_for, manager, tenant_a):
        brand = taxonomy.save_brand(tenant_a.pk, name="Acme")
        client = admin_client_for(manager)

        client.post(f"/admin/catalog/brand/{brand.pk}/change/", {"name": "Acme Co", "slug": "acme"})
        brand.refresh_from_db()
        assert brand.name == "Acme Co"
        client.post(f"/admin/catalog/brand/{brand.pk}/delete/", {"post": "yes"})

        assert not Brand.objects.exists()
        assert list(AuditLog.objects.filter(action__startswith="brand.").order_by("id").values_list("action", flat=True)) == [
            "brand.created", "brand.updated", "brand.deleted",
        ]  # fmt: skip

    def test_brand_in_use_cannot_be_deleted(self, admin_client_for, manager, tenant_a, make_product):
        brand = taxonomy.save_brand(tenant_a.pk, name="Acme")
        make_product(tenant_a, title="Acme tee", brand_id=brand.pk)

        page = admin_client_for(manager).post(f"/admin/catalog/brand/{brand.pk}/delete/", {"post": "yes"})

        assert page.status_code == 200
        assert "would require deleting the following protected related objects" in page.content.decode()
        assert Brand.objects.filter(pk=brand.pk).exists()

    def test_list_counts_products_and_has_no_bulk_delete(
        self, admin_client_for, manager, tenant_a, make_product
    ):
        brand = taxonomy.save_brand(tenant_a.pk, name="Acme")
        make_product(tenant_a, brand_id=brand.pk)
        make_product(tenant_a, brand_id=brand.pk)

        response = admin_client_for(manager).get("/admin/catalog/brand/")

        assert '<td class="field-product_count">2</td>' in response.content.decode()
        assert "delete_selected" not in response.content.decode()


class TestCategories:
    def test_tree_is_indented_by_depth(self, admin_client_for, manager, tenant_a):
        clothes = taxonomy.save_category(tenant_a.pk, name="Clothes")
        shirts = taxonomy.save_category(tenant_a.pk, name="Shirts", parent_id=clothes.pk)
        taxonomy.save_category(tenant_a.pk, name="Linen", parent_id=shirts.pk)
        taxonomy.save_category(tenant_a.pk, name="Shoes")

        response = admin_client_for(manager).get("/admin/catalog/category/")

        assert [c.name for c in response.context["cl"].result_list] == ["Clothes", "Shirts", "Linen", "Shoes"]
        html = response.content.decode()
        for name, depth in (("Clothes", 0), ("Shirts", 1), ("Linen", 2), ("Shoes", 0)):
            assert f'<span class="mc-tree mc-depth-{depth}">{name}</span>' in html

    def test_moving_a_category_moves_its_subtree(self, admin_client_for, manager, tenant_a):
        clothes = taxonomy.save_category(tenant_a.pk, name="Clothes")
        sale = taxonomy.save_category(tenant_a.pk, name="Sale")
        shirts = taxonomy.save_category(tenant_a.pk, name="Shirts", parent_id=clothes.pk)
        linen = taxonomy.save_category(tenant_a.pk, name="Linen", parent_id=shirts.pk)

        response = admin_client_for(manager).post(
            f"/admin/catalog/category/{shirts.pk}/change/",
            {"name": "Shirts", "slug": "shirts", "parent": sale.pk, "position": 0},
        )

        assert response.status_code == 302
        linen.refresh_from_db()
        assert linen.path == f"/{sale.pk}/{shirts.pk}/{linen.pk}/"

    def test_cannot_go_under_itself(self, admin_client_for, manager, tenant_a):
        clothes = taxonomy.save_category(tenant_a.pk, name="Clothes")
        shirts = taxonomy.save_category(tenant_a.pk, name="Shirts", parent_id=clothes.pk)

        response = admin_client_for(manager).post(
            f"/admin/catalog/category/{clothes.pk}/change/",
            {"name": "Clothes", "slug": "clothes", "parent": shirts.pk, "position": 0},
            follow=True,
        )

        assert messages_of(response) == [
            "Some fields are not valid.",
            "A category cannot be placed under itself.",
        ]
        clothes.refresh_from_db()
        assert (clothes.parent_id, clothes.path) == (None, f"/{clothes.pk}/")

    def test_add_and_delete(self, admin_client_for, manager, tenant_a):
        client = admin_client_for(manager)

        client.post("/admin/catalog/category/add/", {"name": "Bags", "slug": "", "parent": "", "position": 3})
        bags = Category.objects.get()
        client.post(f"/admin/catalog/category/{bags.pk}/delete/", {"post": "yes"})

        assert (bags.slug, bags.path, bags.position) == ("bags", f"/{bags.pk}/", 3)
        assert not Category.objects.exists()


class TestWarehouses:
    def test_new_default_takes_over(self, admin_client_for, manager, tenant_a):
        main = Warehouse.objects.get(tenant=tenant_a)

        response = admin_client_for(manager).post(
            "/admin/catalog/warehouse/add/",
            {"code": "depot", "name": "Depot", "is_default": "on", "is_active": "on"},
        )

        assert response.status_code == 302
        main.refresh_from_db()
        assert not main.is_default
        assert Warehouse.objects.get(code="depot").is_default

    def test_default_cannot_be_deleted_or_undefaulted(self, admin_client_for, manager, tenant_a):
        main = Warehouse.objects.get(tenant=tenant_a)
        client = admin_client_for(manager)

        deleted = client.post(f"/admin/catalog/warehouse/{main.pk}/delete/", {"post": "yes"}, follow=True)
        undefaulted = client.post(
            f"/admin/catalog/warehouse/{main.pk}/change/",
            {"code": "main", "name": "Main", "is_active": "on"},
            follow=True,
        )

        assert messages_of(deleted) == ["The default warehouse cannot be deleted."]
        assert messages_of(undefaulted) == [
            "Some fields are not valid.",
            "Make another warehouse the default instead.",
        ]
        main.refresh_from_db()
        assert main.is_default and main.name == "Main warehouse"


class TestStockPages:
    @pytest.fixture
    def ledger(self, tenant_a, make_product):
        product = make_product(tenant_a, skus=["RED", "BLUE", "GREEN"])
        red, blue, green = (product.variants.get(sku=sku) for sku in ("RED", "BLUE", "GREEN"))
        depot = taxonomy.save_warehouse(tenant_a.pk, code="depot", name="Depot")
        stock.adjust(tenant_a.pk, red.pk, delta=20, note="delivery")
        stock.adjust(tenant_a.pk, blue.pk, delta=4, warehouse_id=depot.pk)
        stock.apply_stock_changes(tenant_a.pk, [StockChange(red.pk, reserved_delta=16)], reason="order_reserve",
                                  reference="ORD-1")  # fmt: skip
        stock.adjust(tenant_a.pk, green.pk, delta=1)
        stock.adjust(tenant_a.pk, green.pk, delta=-1, reason="return")
        return {"depot": depot}

    def test_movements_are_read_only_and_filterable(self, admin_client_for, manager, ledger):
        client = admin_client_for(manager)

        def skus(**params: object) -> list[tuple[str, int]]:
            result = client.get("/admin/catalog/stockmovement/", params).context["cl"].result_list
            return [(m.variant.sku, m.on_hand_delta + m.reserved_delta) for m in result]

        assert skus() == [("GREEN", -1), ("GREEN", 1), ("RED", 16), ("BLUE", 4), ("RED", 20)]
        assert skus(reason="order_reserve") == [("RED", 16)]
        assert skus(warehouse__id__exact=ledger["depot"].pk) == [("BLUE", 4)]
        assert skus(q="RED") == [("RED", 16), ("RED", 20)]
        assert skus(q="ORD-1") == [("RED", 16)]
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        assert len(skus(created_at__gte=str(midnight))) == 5  # the "Today" choice of the date filter
        assert skus(created_at__lt=str(midnight)) == []

        movement = StockMovement.objects.first()
        page = client.get(f"/admin/catalog/stockmovement/{movement.pk}/change/")
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert client.get("/admin/catalog/stockmovement/add/").status_code == 403
        before = StockMovement.objects.count()
        assert (
            client.post(f"/admin/catalog/stockmovement/{movement.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
        assert StockMovement.objects.count() == before

    def test_levels_with_low_stock_filter(self, admin_client_for, manager, ledger):
        client = admin_client_for(manager)

        def levels(**params: object) -> list[tuple[str, int]]:
            result = client.get("/admin/catalog/stocklevel/", params).context["cl"].result_list
            return [(level.variant.sku, level.available_units) for level in result]

        assert levels() == [("BLUE", 4), ("GREEN", 0), ("RED", 4)]
        assert levels(low_stock="0") == [("GREEN", 0)]
        assert levels(low_stock="5") == [("BLUE", 4), ("GREEN", 0), ("RED", 4)]
        assert levels(low_stock="10") == [("BLUE", 4), ("GREEN", 0), ("RED", 4)]
        assert levels(q="BLU") == [("BLUE", 4)]
        html = client.get("/admin/catalog/stocklevel/").content.decode()
        assert '<span class="mc-stock-out">0</span>' in html
        assert client.get("/admin/catalog/stocklevel/add/").status_code == 403
        level = StockLevel.objects.get(variant__sku="RED")
        client.post(f"/admin/catalog/stocklevel/{level.pk}/change/", {"on_hand": 999})
        level.refresh_from_db()
        assert level.on_hand == 20
