"""Product rules: transitions, validation, tenant-safe references, deletion."""

import pytest

from catalog.models import Brand, Product, ProductStatus, Variant
from catalog.services import products
from meschain.errors import InvalidTransition, ValidationFailed
from meschain.models import AuditLog, Event

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("draft", "published"),
    ("draft", "archived"),
    ("published", "archived"),
    ("published", "draft"),
    ("archived", "draft"),
}


@pytest.mark.parametrize("start", ["draft", "published", "archived"])
@pytest.mark.parametrize("target", ["draft", "published", "archived"])
def test_every_transition(tenant_a, make_product, start, target):
    product = make_product(tenant_a)
    Product.objects.filter(pk=product.pk).update(status=start)
    product.refresh_from_db()

    if (start, target) in ALLOWED:
        products.change_status(product, target)
        product.refresh_from_db()
        assert product.status == target
        assert Event.objects.filter(object_id=str(product.pk)).exists()
    else:
        with pytest.raises(InvalidTransition):
            products.change_status(product, target)
        product.refresh_from_db()
        assert product.status == start
        assert not Event.objects.exists()


def test_publishing_needs_an_active_variant(tenant_a, make_product):
    product = make_product(tenant_a)
    Variant.objects.filter(product=product).update(is_active=False)
    with pytest.raises(InvalidTransition):
        products.change_status(product, ProductStatus.PUBLISHED)


def test_publish_writes_event_and_audit(tenant_a, make_product, owner):
    product = make_product(tenant_a, skus=["A1", "A2"])
    products.change_status(product, "published", actor=owner)
    event = Event.objects.get(type="product.published")
    assert [v["sku"] for v in event.payload["variants"]] == ["A1", "A2"]
    assert AuditLog.objects.filter(action="product.status_changed", actor=owner).exists()


@pytest.mark.parametrize(
    "barcode, ok", [("4006381333931", True), ("4006381333932", False), ("12345", False), ("96385074", True)]
)
def test_barcode_check_digit(barcode, ok):
    assert products.gtin_is_valid(barcode) is ok


def test_sku_unique_per_tenant_not_across(tenant_a, tenant_b, make_product):
    make_product(tenant_a, skus=["SAME"])
    make_product(tenant_b, skus=["SAME"])
    with pytest.raises(ValidationFailed) as info:
        make_product(tenant_a, skus=["SAME"])
    assert "variants" in info.value.details
    assert Product.objects.filter(tenant=tenant_a).count() == 1


def test_brand_of_another_tenant_is_refused(tenant_a, tenant_b):
    foreign = Brand.objects.create(tenant=tenant_b, name="Theirs", slug="theirs")
    with pytest.raises(ValidationFailed) as info:
        products.create_product(
            tenant_a.pk, data={"title": "X", "brand_id": foreign.pk}, variants=[{"sku": "X", "price": "1"}]
        )
    assert info.value.details == {"brand": ["Not found in your catalogue."]}
    assert not Product.objects.exists()


def test_bad_variant_fields_are_reported_per_field(tenant_a):
    with pytest.raises(ValidationFailed) as info:
        products.create_product(
            tenant_a.pk, data={"title": "X"}, variants=[{"sku": "", "price": "-1", "barcode": "123"}]
        )
    assert set(info.value.details["variants"]["0"]) == {"sku", "price", "barcode"}


def test_delete_removes_unreferenced_product_and_announces_it(tenant_a, make_product):
    product = make_product(tenant_a)
    products.delete_product(product)
    assert not Product.objects.exists()
    assert Event.objects.filter(type="product.deleted").exists()


def test_status_many_moves_only_those_allowed(tenant_a, make_product):
    drafts = [make_product(tenant_a) for _ in range(3)]
    archived = make_product(tenant_a)
    Product.objects.filter(pk=archived.pk).update(status="archived")
    changed, skipped = products.change_status_many(Product.objects.filter(tenant=tenant_a), "published")
    assert (changed, skipped) == (3, 1)
    assert set(Product.objects.filter(status="published").values_list("pk", flat=True)) == {
        p.pk for p in drafts
    }
    assert Event.objects.filter(type="product.published").count() == 3
