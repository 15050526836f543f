"""Orders in the back office: the order list (with a CSV export), the "needs attention"
list, the order page with its timeline and the buttons of the valid next statuses, and
the customers.

Orders are never added, edited or deleted here: they come from storefronts, imports and
marketplaces, and change only through orders.services (status changes and notes).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from meschain.admin import TenantScopedAdmin
from meschain.errors import DomainError
from orders import services
from orders.files import csv_chunks, export_rows
from orders.models import Customer, Order, OrderLine, OrderNeedingAttention, OrderStatus

#: the button that moves an order to each status, in the order they are shown
STATUS_BUTTONS = {
    OrderStatus.PROCESSING: _("Start processing"),
    OrderStatus.COMPLETED: _("Mark completed"),
    OrderStatus.REFUNDED: _("Refund"),
    OrderStatus.CANCELLED: _("Cancel order"),
}


#: the order page's sections (all read-only)
ORDER_FIELDS = ["tenant", "number", "status_badge", "channel_name", "external_id", "marketplace_status", "placed_at",
                "source_updated_at"]  # fmt: skip
CUSTOMER_FIELDS = ["customer", "customer_email", "shipping_address_text", "billing_address_text"]
AMOUNT_FIELDS = ["currency", "subtotal", "shipping_total", "discount_total", "tax_total", "total"]
HANDLING_FIELDS = [
    "needs_attention", "attention_reason", "stock_policy", "tracking_number", "notes", "created_at", "updated_at",
]  # fmt: skip


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(choices=OrderStatus.choices)
    expected_status = forms.ChoiceField(choices=OrderStatus.choices, required=False)
    restock = forms.BooleanField(required=False)
    tracking_number = forms.CharField(max_length=100, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=5000)


def _status_label(status: str) -> str:
    return str(OrderStatus(status).label) if status in OrderStatus.values else status


def csv_response(orders: QuerySet, request: HttpRequest) -> StreamingHttpResponse:
    """The CSV file of `orders` (one row per line, the columns the import reads)."""
    tenant = getattr(request.user, "tenant", None)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"orders-{tenant.slug}-{stamp}.csv" if tenant else f"orders-{stamp}.csv"
    response = StreamingHttpResponse(csv_chunks(export_rows(orders)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["sku", "title", "variant", "quantity", "unit_price", "line_total", "tax_rate", "tax_amount",
              "reserved", "warehouse"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("variant", "warehouse")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(TenantScopedAdmin):
    list_display = ["number", "channel", "customer", "total_display", "status_badge", "placed",
                    "attention_mark"]  # fmt: skip
    list_filter = ["status", "channel", "needs_attention", ("placed_at", admin.DateFieldListFilter)]
    search_fields = ["number", "external_id", "customer__email", "lines__sku"]
    list_select_related = ["customer", "tenant"]
    list_per_page = 50
    actions = ["export_selected"]
    inlines = [OrderLineInline]
    fieldsets = [
        (None, {"fields": ORDER_FIELDS}),
        (_("Customer"), {"fields": CUSTOMER_FIELDS}),
        (_("Amounts"), {"fields": AMOUNT_FIELDS}),
        (_("Handling"), {"fields": HANDLING_FIELDS}),
    ]
    readonly_fields = [*ORDER_FIELDS, *CUSTOMER_FIELDS, *AMOUNT_FIELDS, *HANDLING_FIELDS]
    change_form_template = "admin/orders/order/change_form.html"
    change_list_template = "admin/orders/order/change_list.html"

    class Media:
        css = {"all": ["orders/admin.css"]}

    # --- Columns and fields -------------------------------------------------------

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, order: Order) -> str:
        return f"{number_format(order.total, 2)} {order.currency}"

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, order: Order) -> str:
        return format_html(
            '<span class="order-status order-status--{}">{}</span>', order.status, _status_label(order.status)
        )

    @admin.display(description=_("placed"), ordering="placed_at")
    def placed(self, order: Order) -> str:
        return date_format(timezone.localtime(order.placed_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("attention"), ordering="needs_attention")
    def attention_mark(self, order: Order) -> str:
        if not order.needs_attention:
            return ""
        return format_html(  # a compact mark; the words are for screen readers, the reason in the tooltip
            '<span class="order-attention order-attention--mark" title="{}"><span class="order-attention__text">'
            "{}</span></span>",
            order.attention_reason,
            _("Needs attention"),
        )

    @admin.display(description=_("channel"))
    def channel_name(self, order: Order) -> str:
        return order.channel  # the model's help text has <angle brackets> the form would swallow

    @admin.display(description=_("customer email"))
    def customer_email(self, order: Order) -> str:
        return order.customer.email if order.customer else ""

    @staticmethod
    def _address(address: Any) -> str:
        if not isinstance(address, dict) or not address:
            return ""
        return format_html(
            '<dl class="order-address">{}</dl>',
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((key, value) for key, value in address.items())),
        )

    @admin.display(description=_("shipping address"))
    def shipping_address_text(self, order: Order) -> str:
        return self._address(order.shipping_address)

    @admin.display(description=_("billing address"))
    def billing_address_text(self, order: Order) -> str:
        return self._address(order.billing_address)

    # --- Permissions: orders change only through the services -------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the page is read-only; status and notes have their own forms

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def can_work(self, request: HttpRequest) -> bool:
        """May the user change statuses and add notes (the model's change permission)."""
        return request.user.has_perm("orders.change_order")

    # --- Pages ------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name=f"{prefix}_export"),
            path("<path:object_id>/status/", wrap(require_POST(self.status_view)), name=f"{prefix}_status"),
            path("<path:object_id>/note/", wrap(require_POST(self.note_view)), name=f"{prefix}_note"),
            path(
                "<path:object_id>/resolve/", wrap(require_POST(self.resolve_view)), name=f"{prefix}_resolve"
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, *args: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        context = {"export_url": self._url("export"), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        order = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if order is not None:
            events = order.events.order_by("id")
            context |= {
                "can_work": self.can_work(request),
                "next_statuses": [  # moving forward first, cancelling last
                    {"value": status, "button": button}
                    for status, button in STATUS_BUTTONS.items()
                    if status in services.next_statuses(order)
                ],
                "status_url": self._url("status", quote(order.pk)),
                "note_url": self._url("note", quote(order.pk)),
                "resolve_url": self._url("resolve", quote(order.pk)),
                "timeline": [
                    {
                        "event": event,
                        "from_label": _status_label(event.from_status) if event.from_status else "",
                        "to_label": _status_label(event.to_status) if event.to_status else "",
                    }
                    for event in events
                ],
            }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _order_for_work(self, request: HttpRequest, object_id: str) -> Order:
        order = self.get_object(request, unquote(object_id))
        if order is None:  # another tenant's order is no different from a missing one
            raise Http404(gettext("No order with this id."))
        if not self.can_work(request):
            raise PermissionDenied
        return order

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_for_work(request, object_id)
        form = StatusChangeForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Not a valid status. Nothing was changed."))
            return HttpResponseRedirect(self._url("change", quote(order.pk)))
        data = form.cleaned_data
        try:
            order = services.change_status(
                order,
                data["status"],
                actor=request.user,
                restock=data["restock"],
                expected_status=data["expected_status"] or None,
                tracking_number=data["tracking_number"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                gettext("Order %(number)s is now %(status)s.")
                % {"number": order.number, "status": _status_label(order.status)},
            )
        return HttpResponseRedirect(self._url("change", quote(order.pk)))

    def note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_for_work(request, object_id)
        form = NoteForm(request.POST)
        if not form.is_valid() or not form.cleaned_data["note"].strip():
            messages.error(request, gettext("Write a note of up to 5,000 characters."))
        else:
            try:
                services.add_note(order, form.cleaned_data["note"], actor=request.user)
            except DomainError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, gettext("Note added."))
        return HttpResponseRedirect(self._url("change", quote(order.pk)))

    def resolve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_for_work(request, object_id)
        try:
            services.resolve_attention(order, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request, gettext("Order %(number)s no longer needs attention.") % {"number": order.number}
            )
        return HttpResponseRedirect(self._url("change", quote(order.pk)))

    # --- Export -------------------------------------------------------------------

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The orders of the list as it is filtered and searched, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(self._url("changelist") + "?" + ERROR_FLAG + "=1")
        return csv_response(changelist.queryset, request)

    @admin.action(description=_("Export selected orders to CSV"), permissions=["view"])
    def export_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return csv_response(queryset, request)


class _AttentionChangeList(ChangeList):
    def url_for_result(self, result: Order) -> str:
        """Each flagged order opens on its one order page."""
        return reverse(
            "admin:orders_order_change",
            args=(quote(result.pk),),
            current_app=self.model_admin.admin_site.name,
        )


@admin.register(OrderNeedingAttention)
class OrderNeedingAttentionAdmin(OrderAdmin):
    list_display = ["number", "channel", "customer", "status_badge", "placed", "attention_reason"]
    list_filter = ["status", "channel", ("placed_at", admin.DateFieldListFilter)]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(needs_attention=True)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _AttentionChangeList

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:orders_order_change", args=(object_id,), current_app=self.admin_site.name)
        )


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    list_display = ["email", "name", "phone", "order_count", "created_at"]
    search_fields = ["email", "name"]
    list_select_related = ["tenant"]
    fields = ["tenant", "email", "name", "phone", "order_count", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_order_count=Count("orders"))

    @admin.display(description=_("orders"), ordering="_order_count")
    def order_count(self, customer: Customer) -> str:
        url = reverse("admin:orders_order_changelist", current_app=self.admin_site.name)
        return format_html(
            '<a href="{}?customer__id__exact={}">{}</a>', url, customer.pk, customer._order_count
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
