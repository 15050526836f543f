"""The catalogue in the back office: products with their variants, stock and images;
status actions with a confirmation page; bulk stock adjustment; CSV/XLSX import and
export; brands, the category tree, warehouses; the stock ledger, read-only.

Every admin here is tenant-scoped (meschain.admin.TenantScopedAdmin) and every write
goes through catalog.services.
"""

from collections import defaultdict
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.db.models import Count, F, Min, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from catalog import files
from catalog.forms import ImportForm, ProductImageInlineForm, StockAdjustForm, VariantInlineForm
from catalog.models import (
    Brand,
    Category,
    Product,
    ProductImage,
    ProductStatus,
    StockLevel,
    StockMovement,
    Variant,
    Warehouse,
)
from catalog.services import bulk, images, products, stock, taxonomy
from marketplaces.admin_products import ProductMarketplaceSyncMixin
from meschain.admin import (
    TenantScopedAdmin,
    TenantScopedFormFieldsMixin,
    report_domain_error,
    scoped_related_queryset,
)
from meschain.errors import DomainError, InsufficientStock, PermissionDenied, ValidationFailed
from meschain.tenancy import sees_all_tenants

ADMIN_CSS = {"all": ["meschain/catalog-admin.css"]}
#: most products a confirmation page lists by name
CONFIRM_LIST_LIMIT = 200
IMPORT_ACTOR = "admin import"


# --- Shared pieces ---------------------------------------------------------------


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter offering only the user's tenant's rows."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        queryset = scoped_related_queryset(field.related_model, request)
        if queryset is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class ServiceErrorsAsMessagesMixin:
    """Refusals of services met on a delete page or in an action become messages."""

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            report_domain_error(request, exc)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        try:
            return super().changelist_view(request, extra_context)
        except DomainError as exc:
            report_domain_error(request, exc)
            return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request: HttpRequest) -> dict:
        # Deleting goes one row at a time through the services (their refusals shown).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def _tenant_id_for(request: HttpRequest, obj: Any) -> int:
    """The tenant a new row is written for: the user's, or the one a superuser picked."""
    if sees_all_tenants(request.user):
        if not obj.tenant_id:
            raise PermissionDenied(gettext("Choose a tenant."))
        return obj.tenant_id
    return request.user.tenant_id


def _adopt(obj: Any, saved: Any) -> None:
    """Make the admin's unsaved `obj` stand for the row a service saved (for the log and
    the redirect that follow)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


def _status_badge(status: str) -> str:
    return format_html('<span class="mc-badge mc-badge-{}">{}</span>', status, ProductStatus(status).label)


# --- Taxonomy --------------------------------------------------------------------


class _NamedAdmin(ServiceErrorsAsMessagesMixin, TenantScopedAdmin):
    """Shared by brands and categories: the slug is optional (made from the name)."""

    class Media:
        css = ADMIN_CSS

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "slug" in form.base_fields:
            form.base_fields["slug"].required = False
            form.base_fields["slug"].help_text = _("Leave empty to make one from the name.")
        return form

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @admin.display(description=_("products"), ordering="product_total")
    def product_count(self, obj: Any) -> int:
        return obj.product_total


@admin.register(Brand)
class BrandAdmin(_NamedAdmin):
    list_display = ["name", "slug", "product_count"]
    search_fields = ["name", "slug"]
    fields = ["tenant", "name", "slug"]
    list_select_related = ["tenant"]

    def save_model(self, request: HttpRequest, obj: Brand, form: Any, change: bool) -> None:
        saved = taxonomy.save_brand(
            _tenant_id_for(request, obj),
            name=obj.name,
            slug=obj.slug or None,
            brand=obj if change else None,
            actor=request.user,
        )
        _adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Brand) -> None:
        taxonomy.delete_brand(obj, actor=request.user)


@admin.register(Category)
class CategoryAdmin(_NamedAdmin):
    list_display = ["tree_name", "slug", "position", "product_count"]
    search_fields = ["name", "slug"]
    fields = ["tenant", "name", "slug", "parent", "position"]
    ordering = ["path", "position", "name"]
    list_select_related = ["tenant"]

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, obj: Category) -> str:
        depth = max(obj.path.count("/") - 2, 0)
        return format_html('<span class="mc-tree mc-depth-{}">{}</span>', min(depth, 8), obj.name)

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        saved = taxonomy.save_category(
            _tenant_id_for(request, obj),
            name=obj.name,
            slug=obj.slug or None,
            parent_id=obj.parent_id,
            position=obj.position,
            category=obj if change else None,
            actor=request.user,
        )
        _adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        taxonomy.delete_category(obj, actor=request.user)


@admin.register(Warehouse)
class WarehouseAdmin(ServiceErrorsAsMessagesMixin, TenantScopedAdmin):
    list_display = ["name", "code", "is_default", "is_active"]
    list_filter = ["is_default", "is_active"]
    search_fields = ["name", "code"]
    fields = ["tenant", "code", "name", "is_default", "is_active"]
    list_select_related = ["tenant"]

    def save_model(self, request: HttpRequest, obj: Warehouse, form: Any, change: bool) -> None:
        current = Warehouse.objects.get(pk=obj.pk) if change else None
        saved = taxonomy.save_warehouse(
            _tenant_id_for(request, obj),
            code=obj.code,
            name=obj.name,
            is_default=obj.is_default,
            is_active=obj.is_active,
            warehouse=current,
            actor=request.user,
        )
        _adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Warehouse) -> None:
        taxonomy.delete_warehouse(obj, actor=request.user)


# --- Products --------------------------------------------------------------------


class VariantInline(TenantScopedFormFieldsMixin, admin.TabularInline):
    model = Variant
    form = VariantInlineForm
    extra = 1
    min_num = 1
    can_delete = False  # deactivate a variant instead: orders and listings know it
    fields = [
        "sku", "barcode", "name", "price", "compare_at_price", "cost", "vat_rate", "weight_grams",
        "low_stock_threshold", "is_active", "stock_levels_display",
    ]  # fmt: skip
    readonly_fields = ["stock_levels_display"]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        return super().get_formset(request, obj, validate_min=True, **kwargs)  # a product needs a variant

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        levels = StockLevel.objects.select_related("warehouse").order_by(
            "-warehouse__is_default", "warehouse_id"
        )
        return (
            super()
            .get_queryset(request)
            .order_by("position", "id")
            .prefetch_related(Prefetch("stock_levels", queryset=levels))
        )

    @admin.display(description=_("stock (on hand / reserved / available)"))
    def stock_levels_display(self, variant: Variant) -> str:
        if not variant.pk:
            return "—"
        levels = list(variant.stock_levels.all())
        if not levels:
            return gettext("no stock")
        return format_html_join(
            "",
            '<div class="mc-stock-line">{}: {} / {} / <strong>{}</strong></div>',
            ((level.warehouse.name, level.on_hand, level.reserved, level.available) for level in levels),
        )


class ProductImageInline(TenantScopedFormFieldsMixin, admin.TabularInline):
    model = ProductImage
    form = ProductImageInlineForm
    extra = 1
    fields = ["preview", "image", "alt_text", "position"]
    readonly_fields = ["preview"]
    ordering = ["position", "id"]

    @admin.display(description=_("thumbnail"))
    def preview(self, image: ProductImage) -> str:
        if not image.pk or not image.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="{}" class="mc-thumb mc-thumb-large">', image.thumbnail.url,
                           image.alt_text)  # fmt: skip


class StatusListFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(ProductStatus.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() in ProductStatus.values else queryset


_PRODUCT_FIELDS = {
    "title": "title",
    "description": "description",
    "brand": "brand_id",
    "category": "category_id",
    "attributes": "attributes",
}
_VARIANT_FORM_FIELDS = [
    "sku", "barcode", "name", "price", "compare_at_price", "cost", "vat_rate", "weight_grams",
    "low_stock_threshold", "is_active",
]  # fmt: skip
_STATUS_ACTIONS = {
    "publish_selected": ProductStatus.PUBLISHED,
    "archive_selected": ProductStatus.ARCHIVED,
    "draft_selected": ProductStatus.DRAFT,
}


@admin.register(Product)
class ProductAdmin(ProductMarketplaceSyncMixin, ServiceErrorsAsMessagesMixin, TenantScopedAdmin):
    list_display = [
        "thumbnail", "title", "sku_list", "price_range", "available_stock", "status_badge", "category",
        "updated_at",
    ]  # fmt: skip
    list_display_links = ["thumbnail", "title"]
    list_filter = [
        StatusListFilter,
        ("category", TenantRelatedFieldListFilter),
        ("brand", TenantRelatedFieldListFilter),
    ]
    search_fields = ["title", "variants__sku", "variants__barcode"]
    list_select_related = ["category", "tenant"]
    list_per_page = 50
    fields = [
        "tenant", "title", "description", ("brand", "category"), "attributes", "status_badge",
        ("created_at", "updated_at", "published_at"),
    ]  # fmt: skip
    readonly_fields = ["status_badge", "created_at", "updated_at", "published_at"]
    inlines = [VariantInline, ProductImageInline]
    actions = [
        "publish_selected", "archive_selected", "draft_selected", "adjust_stock", "export_csv_selected",
        "export_xlsx_selected", "sync_to_marketplace",
    ]  # fmt: skip
    change_list_template = "admin/catalog/product/change_list.html"

    class Media:
        css = ADMIN_CSS

    # -- the list --

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        available = (
            StockLevel.objects.filter(variant__product=OuterRef("pk"))
            .order_by()
            .values("variant__product")
            .annotate(total=Sum(F("on_hand") - F("reserved")))
            .values("total")
        )
        lowest = (
            Variant.objects.filter(product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(lowest=Min("price"))
            .values("lowest")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(available_units=Coalesce(Subquery(available), 0), min_price=Subquery(lowest))
            .prefetch_related(
                Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
                Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("tenant")  # a product never moves to another tenant
        return fields

    @admin.display(description=_("image"))
    def thumbnail(self, product: Product) -> str:
        first = next(iter(product.images.all()), None)
        if first is None or not first.thumbnail:
            return format_html(
                '<span class="mc-thumb mc-thumb-empty" title="{}"></span>', gettext("no image")
            )
        return format_html('<img src="{}" alt="" class="mc-thumb">', first.thumbnail.url)

    @admin.display(description=_("SKUs"))
    def sku_list(self, product: Product) -> str:
        skus = [variant.sku for variant in product.variants.all()]
        shown = ", ".join(skus[:3])
        if len(skus) > 3:
            shown += " " + gettext("+%(count)d more") % {"count": len(skus) - 3}
        return shown

    @admin.display(description=_("price"), ordering="min_price")
    def price_range(self, product: Product) -> str:
        prices = [variant.price for variant in product.variants.all()]
        if not prices:
            return "—"
        low, high = min(prices), max(prices)
        return f"{low}" if low == high else f"{low} – {high}"

    @admin.display(description=_("available"), ordering="available_units")
    def available_stock(self, product: Product) -> int:
        return product.available_units

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, product: Product) -> str:
        return _status_badge(product.status)

    # -- saving, through the services --

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        """Nothing yet: the product is written with its variants in save_related."""

    def save_related(self, request: HttpRequest, form: Any, formsets: list, change: bool) -> None:
        product = form.instance
        variant_formset = next(fs for fs in formsets if fs.model is Variant)
        rows = self._variant_rows(variant_formset)
        if change:
            changes = {
                _PRODUCT_FIELDS[name]: self._plain(name, form.cleaned_data[name])
                for name in form.changed_data
                if name in _PRODUCT_FIELDS
            }
            saved = Product.objects.get(pk=product.pk)
            if changes or rows:
                saved = products.update_product(
                    saved, changes=changes, variants=rows or None, actor=request.user
                )
        else:
            data = {
                key: self._plain(name, form.cleaned_data.get(name)) for name, key in _PRODUCT_FIELDS.items()
            }
            saved = products.create_product(
                _tenant_id_for(request, product), data=data, variants=rows, actor=request.user
            )
        _adopt(product, saved)
        self._record_variant_changes(variant_formset, saved)
        for formset in formsets:
            if formset.model is ProductImage:
                self._save_images(request, formset, saved)

    @staticmethod
    def _plain(key: str, value: Any) -> Any:
        if isinstance(value, (Brand, Category)):
            return value.pk
        if key == "attributes":
            return value or {}
        return value

    @staticmethod
    def _variant_rows(formset: Any) -> list[dict[str, Any]]:
        rows = []
        for form in formset.forms:
            if not form.has_changed():
                continue
            row = {name: form.cleaned_data.get(name) for name in _VARIANT_FORM_FIELDS}
            if form.instance.pk:
                row["sku"] = form.instance.sku
            row["barcode"] = row["barcode"] or None
            row["name"] = row["name"] or ""
            rows.append(row)
        return rows

    @staticmethod
    def _record_variant_changes(formset: Any, product: Product) -> None:
        """What the admin's history ("Changed price for variant …") reads from a formset."""
        by_sku = {variant.sku: variant for variant in Variant.objects.filter(product=product)}
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.forms:
            if not form.has_changed():
                continue
            sku = form.instance.sku if form.instance.pk else form.cleaned_data.get("sku")
            variant = by_sku.get(sku)
            if variant is None:
                continue
            if form.instance.pk:
                formset.changed_objects.append((variant, form.changed_data))
            else:
                formset.new_objects.append(variant)

    def _save_images(self, request: HttpRequest, formset: Any, product: Product) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.forms:
            instance = form.instance
            if instance.pk and form in formset.deleted_forms:
                images.delete_image(ProductImage.objects.get(pk=instance.pk), actor=request.user)
                formset.deleted_objects.append(instance)
                continue
            if not form.has_changed():
                continue
            alt_text = form.cleaned_data.get("alt_text") or ""
            position = form.cleaned_data.get("position") or 0
            if instance.pk and "image" not in form.changed_data:
                current = ProductImage.objects.get(pk=instance.pk)
                images.update_image(current, alt_text=alt_text, position=position, actor=request.user)
                formset.changed_objects.append((current, form.changed_data))
                continue
            if form.checked is None:
                continue  # an extra row with only its defaults touched
            if instance.pk:  # a new file for an existing image
                images.delete_image(ProductImage.objects.get(pk=instance.pk), actor=request.user)
            added = images.add_image(
                product, form.checked, alt_text=alt_text, position=position, actor=request.user
            )
            formset.new_objects.append(added)

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        products.delete_product(obj, actor=request.user)

    # -- status actions, with a confirmation page --

    def _selected(self, queryset: QuerySet) -> QuerySet:
        """The selected products as a plain queryset (no list annotations)."""
        return Product.objects.filter(pk__in=queryset.order_by().values("pk"))

    def _confirm_status(self, request: HttpRequest, queryset: QuerySet, action: str) -> HttpResponse | None:
        new_status = _STATUS_ACTIONS[action]
        selected = self._selected(queryset)
        label = ProductStatus(new_status).label
        if request.POST.get("post") == "yes":
            changed, skipped = products.change_status_many(selected, new_status, actor=request.user)
            text = ngettext(
                "%(count)d product is now %(status)s.", "%(count)d products are now %(status)s.", changed
            ) % {"count": changed, "status": label}
            if skipped:
                text += " " + ngettext(
                    "%(count)d was skipped: the change is not allowed for it.",
                    "%(count)d were skipped: the change is not allowed for them.",
                    skipped,
                ) % {"count": skipped}
            self.message_user(request, text, messages.SUCCESS if changed else messages.WARNING)
            return None
        movable = set(products.movable_products(selected, new_status).values_list("pk", flat=True))
        ids = list(selected.values_list("pk", flat=True))
        shown = list(selected.prefetch_related("variants").order_by("title", "id")[:CONFIRM_LIST_LIMIT])
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Set the status to %(status)s?") % {"status": label},
            "opts": self.opts,
            "media": self.media,
            "action": action,
            "new_status": new_status,
            "status_label": label,
            "ids": ids,
            "rows": [
                {"product": p, "badge": _status_badge(p.status), "moves": p.pk in movable} for p in shown
            ],
            "hidden_count": max(len(ids) - len(shown), 0),
            "change_count": len(movable),
            "skip_count": len(ids) - len(movable),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/catalog/product/status_confirmation.html", context)

    @admin.action(description=_("Publish selected products…"), permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._confirm_status(request, queryset, "publish_selected")

    @admin.action(description=_("Archive selected products…"), permissions=["change"])
    def archive_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._confirm_status(request, queryset, "archive_selected")

    @admin.action(description=_("Move selected products back to draft…"), permissions=["change"])
    def draft_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._confirm_status(request, queryset, "draft_selected")

    # -- bulk stock adjustment --

    def _warehouses(self, request: HttpRequest) -> QuerySet:
        scoped = scoped_related_queryset(Warehouse, request)
        return (scoped if scoped is not None else Warehouse.objects.all()).filter(is_active=True)

    @admin.action(description=_("Adjust stock of selected products…"), permissions=["change"])
    def adjust_stock(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        selected = self._selected(queryset)
        form = StockAdjustForm(
            request.POST if request.POST.get("apply") == "yes" else None, warehouses=self._warehouses(request)
        )
        if form.is_bound and form.is_valid():
            try:
                changed, total = self._apply_adjustment(request, selected, form.cleaned_data)
            except InsufficientStock as exc:
                messages.error(request, str(exc.message))
                for line in exc.details.get("lines", []):
                    messages.error(
                        request,
                        gettext("%(sku)s: %(available)d available, %(on_hand)d on hand.")
                        % {"sku": line["sku"], "available": line["available"], "on_hand": line["on_hand"]},
                    )
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                text = ngettext(
                    "Stock adjusted for %(count)d variant.", "Stock adjusted for %(count)d variants.", changed
                ) % {"count": changed}
                if total > changed:
                    text += " " + ngettext(
                        "%(count)d was already at that figure.", "%(count)d were already at that figure.",
                        total - changed,
                    ) % {"count": total - changed}  # fmt: skip
                self.message_user(request, text, messages.SUCCESS)
                return None
        variants = list(
            Variant.objects.filter(product__in=selected)
            .select_related("product")
            .annotate(
                on_hand_total=Coalesce(Sum("stock_levels__on_hand"), 0),
                reserved_total=Coalesce(Sum("stock_levels__reserved"), 0),
            )
            .order_by("product__title", "position", "id")[:CONFIRM_LIST_LIMIT]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Adjust stock"),
            "opts": self.opts,
            "media": self.media + form.media,
            "form": form,
            "variants": variants,
            "ids": list(selected.values_list("pk", flat=True)),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/catalog/product/stock_adjust.html", context)

    @staticmethod
    def _apply_adjustment(request: HttpRequest, selected: QuerySet, data: dict[str, Any]) -> tuple[int, int]:
        by_tenant: dict[int, list[int]] = defaultdict(list)
        for tenant_id, variant_id in Variant.objects.filter(product__in=selected).values_list(
            "tenant_id", "pk"
        ):
            by_tenant[tenant_id].append(variant_id)
        quantity = data["quantity"]
        warehouse = data.get("warehouse")
        changed = 0
        with transaction.atomic():
            for tenant_id, variant_ids in by_tenant.items():
                results = stock.adjust_many(
                    tenant_id,
                    variant_ids,
                    delta=quantity if data["mode"] == "delta" else None,
                    absolute=quantity if data["mode"] == "absolute" else None,
                    warehouse_id=warehouse.pk if warehouse else None,
                    note=data.get("note", ""),
                    actor=request.user,
                )
                changed += len(results)
        return changed, sum(len(ids) for ids in by_tenant.values())

    # -- export --

    def _export(self, queryset: QuerySet, fmt: str) -> HttpResponse:
        data = files.write_rows(files.export_rows(queryset), fmt)
        response = HttpResponse(data, content_type=files.CONTENT_TYPES[fmt])
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="products-{stamp}.{fmt}"'
        return response

    @admin.action(description=_("Export selected products to CSV"), permissions=["view"])
    def export_csv_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(self._selected(queryset), "csv")

    @admin.action(description=_("Export selected products to XLSX"), permissions=["view"])
    def export_xlsx_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(self._selected(queryset), "xlsx")

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        """The products the changelist shows with the same filters and search, as a file."""
        if fmt not in ("csv", "xlsx"):
            raise Http404
        if not self.has_view_or_change_permission(request):
            raise DjangoPermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:catalog_product_changelist") + "?e=1")
        return self._export(self._selected(changelist.get_queryset(request)), fmt)

    # -- import --

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise DjangoPermissionDenied
        superuser = sees_all_tenants(request.user)
        tenants = Tenant.objects.order_by("name") if superuser else None
        form = ImportForm(request.POST or None, request.FILES or None, tenants=tenants)
        report = None
        if request.method == "POST" and form.is_valid():
            tenant_id = form.cleaned_data["tenant"].pk if superuser else request.user.tenant_id
            if tenant_id is None:
                raise DjangoPermissionDenied
            try:
                report = self._run_import(request, tenant_id, form)
            except DomainError as exc:
                form.add_error("file", str(exc.message))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import products"),
            "opts": self.opts,
            "media": self.media + form.media,
            "form": form,
            "report": report,
            "columns": [(name, files.COLUMN_HELP[name]) for name in files.COLUMNS],
            "max_rows": bulk.MAX_ROWS,
        }
        return TemplateResponse(request, "admin/catalog/product/import.html", context)

    def _run_import(self, request: HttpRequest, tenant_id: int, form: ImportForm) -> dict[str, Any]:
        upload = form.cleaned_data["file"]
        parsed = files.read_rows(upload.read(), form.format, max_rows=bulk.MAX_ROWS)
        if not parsed.rows:
            raise ValidationFailed(gettext("The file has no rows below its header."))
        policy = form.cleaned_data["policy"]
        result = bulk.bulk_upsert(tenant_id, parsed.rows, policy=policy, actor=request.user)
        counts = result.counts()
        labels = {
            "created": gettext("created"),
            "updated": gettext("updated"),
            "unchanged": gettext("unchanged"),
            "error": gettext("error"),
            "skipped": gettext("not applied"),
        }
        rows = []
        for row in result.rows:
            status = row.status if result.applied or row.status == "error" else "skipped"
            errors = [f"{name}: {message}" for name, messages_ in row.errors.items() for message in messages_]
            rows.append(
                {"line": parsed.lines[row.row], "sku": row.sku, "status": status, "label": labels[status],
                 "errors": errors}
            )  # fmt: skip
        if result.applied:
            summary = (
                gettext(
                    "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(error)d with errors."
                )
                % counts
            )
            level = messages.WARNING if counts["error"] else messages.SUCCESS
        else:
            summary = ngettext(
                "Nothing was applied: %(count)d row has errors.",
                "Nothing was applied: %(count)d rows have errors.",
                counts["error"],
            ) % {"count": counts["error"]}
            level = messages.ERROR
        self.message_user(request, summary, level)
        return {
            "applied": result.applied,
            "counts": counts,
            "rows": rows,
            "policy": policy,
            "file_name": upload.name,
            "ignored_columns": parsed.ignored_columns,
        }

    # -- wiring --

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="catalog_product_import"),
            path("export/<str:fmt>/", view(self.export_view), name="catalog_product_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)


# --- The stock ledger, read-only ---------------------------------------------------


class _ReadOnlyAdmin(TenantScopedAdmin):
    class Media:
        css = ADMIN_CSS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LowStockFilter(admin.SimpleListFilter):
    title = _("available")
    parameter_name = "low_stock"
    THRESHOLDS = {"0": 0, "5": 5, "10": 10}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("0", _("Out of stock (0 or less)")),
            ("5", _("Low (5 or less)")),
            ("10", _("10 or less")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        threshold = self.THRESHOLDS.get(self.value() or "")
        if threshold is None:
            return queryset
        return queryset.filter(available_units__lte=threshold)


@admin.register(StockLevel)
class StockLevelAdmin(_ReadOnlyAdmin):
    list_display = [
        "sku",
        "product_title",
        "warehouse",
        "on_hand",
        "reserved",
        "available_display",
        "updated_at",
    ]
    list_filter = [LowStockFilter, ("warehouse", TenantRelatedFieldListFilter)]
    search_fields = ["variant__sku", "variant__barcode", "variant__product__title"]
    list_select_related = ["variant__product", "warehouse", "tenant"]
    ordering = ["variant__sku", "warehouse_id"]
    readonly_fields = ["variant", "warehouse", "on_hand", "reserved", "updated_at"]
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(available_units=F("on_hand") - F("reserved"))

    @admin.display(description=_("SKU"), ordering="variant__sku")
    def sku(self, level: StockLevel) -> str:
        return level.variant.sku

    @admin.display(description=_("product"), ordering="variant__product__title")
    def product_title(self, level: StockLevel) -> str:
        return level.variant.product.title

    @admin.display(description=_("available"), ordering="available_units")
    def available_display(self, level: StockLevel) -> str:
        css = "mc-stock-out" if level.available_units <= 0 else ""
        return format_html('<span class="{}">{}</span>', css, level.available_units)


@admin.register(StockMovement)
class StockMovementAdmin(_ReadOnlyAdmin):
    list_display = [
        "created_at", "sku", "warehouse", "on_hand_delta", "reserved_delta", "on_hand_after",
        "reserved_after", "reason", "reference", "actor_label", "note",
    ]  # fmt: skip
    list_filter = [
        "reason",
        ("warehouse", TenantRelatedFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["variant__sku", "reference"]
    date_hierarchy = "created_at"
    list_select_related = ["variant", "warehouse", "tenant"]
    readonly_fields = [
        "variant", "warehouse", "on_hand_delta", "reserved_delta", "on_hand_after", "reserved_after",
        "reason", "reference", "note", "actor_label", "created_at",
    ]  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("SKU"), ordering="variant__sku")
    def sku(self, movement: StockMovement) -> str:
        return movement.variant.sku
