"""Categories (a tree), brands and warehouses."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import Brand, Category, Warehouse
from meschain import audit
from meschain.errors import Conflict, ValidationFailed


def _slug_for(name: str, slug: str | None) -> str:
    value = (slug or slugify(name, allow_unicode=True))[:200]
    if not value:
        raise ValidationFailed(details={"slug": [_("Enter a slug or a name with letters or digits.")]})
    return value


def _delete_unless_used(obj: Any, action: str, in_use: str, actor: Any) -> None:
    """Delete and audit, or CONFLICT with `in_use` when rows still point at it."""
    try:
        with transaction.atomic():
            audit.record(action, actor=actor, obj=obj)
            obj.delete()
    except ProtectedError as exc:
        raise Conflict(in_use) from exc


def descendants_of(category: Category) -> QuerySet:
    """The category and everything below it, in one indexed prefix query."""
    return Category.objects.filter(tenant_id=category.tenant_id, path__startswith=category.path)


@transaction.atomic
def save_category(
    tenant_id: int,
    *,
    name: str,
    slug: str | None = None,
    parent_id: int | None = None,
    position: int = 0,
    category: Category | None = None,
    actor: Any = None,
) -> Category:
    """Create a category or change one (moving it moves its whole subtree)."""
    parent = None
    if parent_id is not None:
        parent = Category.objects.filter(tenant_id=tenant_id, pk=parent_id).first()
        if parent is None:
            raise ValidationFailed(details={"parent": [_("Not found in your catalogue.")]})
        if category is not None and parent.path.startswith(category.path):
            raise ValidationFailed(details={"parent": [_("A category cannot be placed under itself.")]})
    creating = category is None
    category = category or Category(tenant_id=tenant_id)
    old_path = category.path
    category.name, category.slug, category.parent, category.position = (
        name,
        _slug_for(name, slug),
        parent,
        position,
    )
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        raise ValidationFailed(details={"slug": [_("Another category already has this slug.")]}) from exc
    new_path = f"{parent.path if parent else '/'}{category.pk}/"
    if new_path != old_path:
        if old_path:  # re-root the subtree
            Category.objects.filter(tenant_id=tenant_id, path__startswith=old_path).exclude(
                pk=category.pk
            ).update(path=Concat(Value(new_path), Substr("path", len(old_path) + 1)))
        Category.objects.filter(pk=category.pk).update(path=new_path)
        category.path = new_path
    audit.record("category.created" if creating else "category.updated", actor=actor, obj=category,
                 after={"name": name, "path": new_path})  # fmt: skip
    return category


@transaction.atomic
def delete_category(category: Category, *, actor: Any = None) -> None:
    _delete_unless_used(
        category, "category.deleted", _("This category still has products or subcategories."), actor
    )


@transaction.atomic
def save_brand(
    tenant_id: int, *, name: str, slug: str | None = None, brand: Brand | None = None, actor: Any = None
) -> Brand:
    creating = brand is None
    brand = brand or Brand(tenant_id=tenant_id)
    brand.name, brand.slug = name, _slug_for(name, slug)
    try:
        with transaction.atomic():
            brand.save()
    except IntegrityError as exc:
        raise ValidationFailed(details={"slug": [_("Another brand already has this slug.")]}) from exc
    audit.record(
        "brand.created" if creating else "brand.updated", actor=actor, obj=brand, after={"name": name}
    )
    return brand


@transaction.atomic
def delete_brand(brand: Brand, *, actor: Any = None) -> None:
    _delete_unless_used(brand, "brand.deleted", _("Products still use this brand."), actor)


@transaction.atomic
def save_warehouse(
    tenant_id: int,
    *,
    code: str,
    name: str,
    is_default: bool = False,
    is_active: bool = True,
    warehouse: Warehouse | None = None,
    actor: Any = None,
) -> Warehouse:
    creating = warehouse is None
    warehouse = warehouse or Warehouse(tenant_id=tenant_id)
    if warehouse.is_default and not is_default:
        raise ValidationFailed(details={"is_default": [_("Make another warehouse the default instead.")]})
    if is_default:
        Warehouse.objects.filter(tenant_id=tenant_id, is_default=True).exclude(pk=warehouse.pk).update(
            is_default=False
        )
    warehouse.code, warehouse.name, warehouse.is_default, warehouse.is_active = (
        code,
        name,
        is_default,
        is_active,
    )
    try:
        with transaction.atomic():
            warehouse.save()
    except IntegrityError as exc:
        raise ValidationFailed(details={"code": [_("Another warehouse already has this code.")]}) from exc
    audit.record("warehouse.created" if creating else "warehouse.updated", actor=actor, obj=warehouse,
                 after={"code": code, "name": name, "is_default": is_default})  # fmt: skip
    return warehouse


@transaction.atomic
def delete_warehouse(warehouse: Warehouse, *, actor: Any = None) -> None:
    if warehouse.is_default:
        raise Conflict(_("The default warehouse cannot be deleted."))
    _delete_unless_used(warehouse, "warehouse.deleted", _("This warehouse still holds stock records."), actor)
