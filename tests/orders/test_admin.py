"""Orders in the admin: the tenant's orders only, the valid next-status buttons and what
they do to the order and its stock, stale and invalid clicks, notes on the timeline, the
CSV export, the "needs attention" list and the customers."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from catalog.models import StockLevel
from orders import imports, services
from orders.files import CSV_COLUMNS, orders_from_csv
from orders.models import Customer, Order

pytestmark = pytest.mark.django_db

LIST = "/admin/orders/order/"
ATTENTION_LIST = "/admin/orders/orderneedingattention/"
CUSTOMERS = "/admin/orders/customer/"
STATUS_INPUT = re.compile(r'<input type="hidden" name="status" value="(\w+)">')
BUTTON = re.compile(r'<button type="submit" class="button order-action order-action--\w+">([^<]+)</button>')


def page(order: Order) -> str:
    return f"{LIST}{order.pk}/change/"


def place(tenant, *lines, email="buyer@example.com", **kwargs) -> Order:
    return services.place_order(
        tenant.pk,
        channel=kwargs.pop("channel", "storefront"),
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        customer={"email": email, "name": kwargs.pop("name", "Ayşe Yılmaz")},
        **kwargs,
    )


def level(variant) -> tuple[int, int]:
    row = StockLevel.objects.get(variant=variant)
    return row.on_hand, row.reserved


def cells(html: str, field: str) -> list[str]:
    """The contents of a read-only inline's column."""
    return re.findall(rf'<td class="field-{field}">\s*<p>(.*?)</p>\s*</td>', html, re.S)


def flash(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def state(order: Order) -> tuple:
    """What a status change could touch: status, events, stock of every line."""
    order.refresh_from_db()
    stock = sorted(
        StockLevel.objects.filter(variant__order_lines__order=order).values_list("on_hand", "reserved")
    )
    return order.status, order.events.count(), stock


@pytest.fixture
def tee(tenant_a, stocked):
    return stocked(tenant_a, "TEE", 5, price="20.00")


@pytest.fixture
def order(tenant_a, tee) -> Order:
    return place(tenant_a, ("TEE", 2), shipping_total="5.00")


@pytest.fixture
def b_order(tenant_b, stocked) -> Order:
    stocked(tenant_b, "TEE", 5)
    return place(tenant_b, ("TEE", 1), email="bravo-buyer@example.com")


# --- The list -----------------------------------------------------------------------


def test_list_shows_the_tenants_orders_with_their_columns(
    admin_client_for, manager, tenant_a, order, b_order
):
    flagged = services.place_order(
        tenant_a.pk,
        channel="trendyol:7",
        external_id="TY-1",
        lines=[{"sku": "GHOST", "quantity": 1, "unit_price": "9.90"}],
        placed_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )

    response = admin_client_for(manager).get(LIST)

    assert response.status_code == 200
    assert [o.pk for o in response.context["cl"].result_list] == [order.pk, flagged.pk]
    html = response.content.decode()
    assert "bravo-buyer@example.com" not in html
    row = re.search(rf'<tr>.*?href="{LIST}{order.pk}/change/.*?</tr>', html, re.S)[0]
    assert '<td class="field-channel">storefront</td>' in row
    assert '<td class="field-customer nowrap">Ayşe Yılmaz</td>' in row
    assert '<td class="field-total_display">45.00 TRY</td>' in row
    assert '<span class="order-status order-status--pending">Pending</span>' in row
    assert "order-attention" not in row
    flagged_row = re.search(rf'<tr>.*?href="{LIST}{flagged.pk}/change/.*?</tr>', html, re.S)[0]
    assert (
        '<span class="order-attention order-attention--mark" title="Unknown SKU: GHOST">'
        '<span class="order-attention__text">Needs attention</span></span>' in flagged_row
    )
    assert '<td class="field-placed">03/01/2026 noon</td>' in flagged_row
    assert '<link href="/static/orders/admin.css" media="all" rel="stylesheet">' in html
    assert "style=" not in row + flagged_row  # badges are styled by the stylesheet (CSP)
    channels = [choice["display"] for choice in _choices(response, "channel")]
    assert channels == ["All", "storefront", "trendyol:7"]  # not bravo's channels


def _choices(response, title: str) -> list[dict]:
    spec = next(f for f in response.context["cl"].filter_specs if f.title == title)
    return list(spec.choices(response.context["cl"]))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=TY-77", ["TY-77"]),  # external id
        ("q=mehmet@example.com", ["TY-77"]),  # customer email
        ("q=MUG", ["TY-78"]),  # SKU of a line
        ("status__exact=processing", ["TY-78"]),
        ("channel=trendyol:1", ["TY-77"]),
        ("needs_attention__exact=1", ["TY-77"]),
        ("placed_at__gte=2026-05-01&placed_at__lt=2026-05-02", ["TY-78"]),
    ],
)
def test_filters_and_search(admin_client_for, operator, tenant_a, stocked, query, expected):
    stocked(tenant_a, "MUG", 5)
    first = services.place_order(
        tenant_a.pk, channel="trendyol:1", external_id="TY-77", customer={"email": "mehmet@example.com"},
        lines=[{"sku": "UNKNOWN", "quantity": 1, "unit_price": "5"}],
        placed_at=datetime(2026, 4, 30, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    second = services.place_order(
        tenant_a.pk, channel="trendyol:2", external_id="TY-78", customer={"email": "zeynep@example.com"},
        lines=[{"sku": "MUG", "quantity": 2, "unit_price": "5"}, {"sku": "MUG", "quantity": 1, "unit_price": "5"}],
        placed_at=datetime(2026, 5, 1, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    services.change_status(second, "processing")
    assert first.needs_attention and not second.needs_attention

    response = admin_client_for(operator).get(f"{LIST}?{query}")

    assert response.status_code == 200
    assert [o.external_id for o in response.context["cl"].result_list] == expected


def test_list_query_count_does_not_grow_with_orders(
    admin_client_for, manager, tenant_a, stocked, django_assert_max_num_queries
):
    stocked(tenant_a, "TEE", 500)
    client = admin_client_for(manager)
    for index in range(3):
        place(tenant_a, ("TEE", 1), email=f"c{index}@example.com")
    client.get(LIST)  # warm the session and permission caches like a returning user
    with django_assert_max_num_queries(12) as few:
        assert len(client.get(LIST).context["cl"].result_list) == 3
    for index in range(3, 40):
        place(tenant_a, ("TEE", 1), email=f"c{index}@example.com")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)

    assert len(response.context["cl"].result_list) == 40


def test_superuser_sees_every_tenant_with_a_tenant_column(admin_client_for, superuser, order, b_order):
    response = admin_client_for(superuser).get(LIST)

    assert {o.pk for o in response.context["cl"].result_list} == {order.pk, b_order.pk}
    assert "tenant" in response.context["cl"].list_display


def test_no_adding_or_deleting_orders(admin_client_for, owner, order):
    client = admin_client_for(owner)

    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{order.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "Add order" not in client.get(LIST).content.decode()
    actions = [name for name, _label in client.get(LIST).context["action_form"].fields["action"].choices]
    assert actions == ["", "export_selected"]
    assert Order.objects.filter(pk=order.pk).exists()


# --- Tenant isolation -------------------------------------------------------------


def test_manager_cannot_open_or_act_on_another_tenants_order(admin_client_for, manager, b_order):
    client = admin_client_for(manager)
    before = state(b_order)

    opened = client.get(page(b_order))
    moved = client.post(f"{LIST}{b_order.pk}/status/", {"status": "cancelled", "expected_status": "pending"})
    noted = client.post(f"{LIST}{b_order.pk}/note/", {"note": "hello from alpha"})
    listed = client.get(f"{LIST}?q={b_order.number}")
    exported = client.get(f"{LIST}export/")

    assert opened.status_code == 302 and opened.url == "/admin/"
    assert flash(opened) == [
        ("warning", f"order with ID “{b_order.pk}” doesn’t exist. Perhaps it was deleted?")
    ]
    assert (moved.status_code, noted.status_code) == (404, 404)
    assert list(listed.context["cl"].result_list) == []
    assert b"".join(exported.streaming_content).decode("utf-8-sig").splitlines() == [",".join(CSV_COLUMNS)]
    assert state(b_order) == before
    assert not b_order.events.filter(kind="note").exists()


# --- The order page: buttons, status changes, stock ------------------------------


@pytest.mark.parametrize(
    "path, buttons",
    [
        ([], [("processing", "Start processing"), ("cancelled", "Cancel order")]),
        (["processing"], [("completed", "Mark completed"), ("cancelled", "Cancel order")]),
        (["processing", "completed"], [("refunded", "Refund")]),
        (["cancelled"], []),
        (["processing", "completed", "refunded"], []),
    ],
)
def test_only_the_valid_next_statuses_have_buttons(admin_client_for, operator, order, path, buttons):
    for status in path:
        services.change_status(order, status)

    response = admin_client_for(operator).get(page(order))

    assert response.status_code == 200
    html = response.content.decode()
    workflow = re.search(r'<section class="order-workflow".*?</section>', html, re.S)[0]
    assert list(zip(STATUS_INPUT.findall(workflow), BUTTON.findall(workflow), strict=True)) == buttons
    assert workflow.count('name="csrfmiddlewaretoken"') == len(buttons)
    assert workflow.count(f'action="{LIST}{order.pk}/status/"') == len(buttons)
    assert ("Return goods to stock" in workflow) == (buttons == [("refunded", "Refund")])
    if not buttons:
        assert "This order is closed: its status cannot change any more." in workflow
    assert 'name="_save"' not in html  # the order's own fields are read-only


def test_order_page_shows_fields_lines_and_timeline(admin_client_for, operator, order):
    Order.objects.filter(pk=order.pk).update(shipping_address={"city": "İzmir", "line1": "<b>Kordon</b> 1"})

    response = admin_client_for(operator).get(page(order))

    html = response.content.decode()
    assert response.context["title"] == "View order"
    assert (
        '<dl class="order-address"><dt>city</dt><dd>İzmir</dd><dt>line1</dt><dd>&lt;b&gt;Kordon&lt;/b&gt; 1</dd></dl>'
        in html
    )
    assert (
        f'<div class="readonly"><a href="{CUSTOMERS}{order.customer_id}/change/">Ayşe Yılmaz</a></div>'
        in html
    )
    assert '<div class="readonly">45.00</div>' in html  # total
    lines = re.search(
        r'<div class="js-inline-admin-formset inline-group" id="lines-group".*?</fieldset>', html, re.S
    )[0]
    assert cells(lines, "sku") == ["TEE"]
    assert cells(lines, "variant") == ["TEE"]  # matched in the catalogue
    assert (cells(lines, "quantity"), cells(lines, "unit_price"), cells(lines, "line_total")) == (
        ["2"], ["20.00"], ["40.00"],
    )  # fmt: skip
    assert cells(lines, "reserved") == ['<img src="/static/admin/img/icon-yes.svg" alt="True">']
    assert re.findall(r'<input (?!type="hidden")', lines) == []  # nothing editable
    timeline = re.search(r'<ol class="order-timeline__events">.*?</ol>', html, re.S)[0]
    assert re.findall(r'<span class="order-event__kind">([^<]+)</span>', timeline) == ["Created"]


def test_starting_processing_then_completing_moves_stock_like_the_service(
    admin_client_for, operator, order, tee
):
    client = admin_client_for(operator)
    assert level(tee) == (5, 2)

    started = client.post(
        f"{LIST}{order.pk}/status/", {"status": "processing", "expected_status": "pending"}, follow=True
    )

    assert started.redirect_chain == [(page(order), 302)]
    assert [(m.level_tag, m.message) for m in started.context["messages"]] == [
        ("success", f"Order {order.number} is now Processing.")
    ]
    assert STATUS_INPUT.findall(started.content.decode()) == ["completed", "cancelled"]
    order.refresh_from_db()
    assert order.status == "processing"
    assert level(tee) == (5, 2)  # still reserved
    event = order.events.get(kind="status")
    assert (event.from_status, event.to_status, event.actor, event.actor_label) == (
        "pending", "processing", operator, operator.username,
    )  # fmt: skip

    completed = client.post(
        f"{LIST}{order.pk}/status/",
        {"status": "completed", "expected_status": "processing", "tracking_number": "YK-000777"},
    )

    assert flash(completed) == [("success", f"Order {order.number} is now Completed.")]
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == ("completed", "YK-000777")
    assert level(tee) == (3, 0)  # the reservation became a deduction
    assert list(order.events.filter(kind="status").values_list("to_status", flat=True)) == [
        "processing",
        "completed",
    ]


def test_cancelling_releases_the_reservation(admin_client_for, operator, order, tee):
    admin_client_for(operator).post(
        f"{LIST}{order.pk}/status/", {"status": "cancelled", "expected_status": "pending"}
    )

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert level(tee) == (5, 0)


@pytest.mark.parametrize("restock, expected", [({"restock": "1"}, (5, 0)), ({}, (3, 0))])
def test_refund_returns_goods_to_stock_when_ticked(admin_client_for, operator, order, tee, restock, expected):
    services.change_status(order, "processing")
    services.change_status(order, "completed")

    admin_client_for(operator).post(
        f"{LIST}{order.pk}/status/", {"status": "refunded", "expected_status": "completed", **restock}
    )

    order.refresh_from_db()
    assert order.status == "refunded"
    assert level(tee) == expected


def test_a_stale_click_shows_an_error_and_changes_nothing(admin_client_for, operator, owner, order, tee):
    client = admin_client_for(operator)
    assert "cancelled" in STATUS_INPUT.findall(client.get(page(order)).content.decode())
    services.change_status(order, "processing", actor=owner)  # someone else, meanwhile
    before = state(order)

    response = client.post(f"{LIST}{order.pk}/status/", {"status": "cancelled", "expected_status": "pending"})

    assert response.status_code == 302
    assert flash(response) == [
        ("error", "This order is Processing now: it changed after you opened it. Nothing was changed.")
    ]
    assert state(order) == before == ("processing", 2, [(5, 2)])


@pytest.mark.parametrize(
    "post, message",
    [
        (
            {"status": "completed", "expected_status": "pending"},
            "An order cannot go from Pending to Completed.",
        ),
        ({"status": "refunded"}, "An order cannot go from Pending to Refunded."),
        ({"status": "shipped", "expected_status": "pending"}, "Not a valid status. Nothing was changed."),
        ({}, "Not a valid status. Nothing was changed."),
    ],
)
def test_an_invalid_transition_shows_an_error_and_changes_nothing(
    admin_client_for, operator, order, post, message
):
    before = state(order)

    response = admin_client_for(operator).post(f"{LIST}{order.pk}/status/", post, follow=True)

    assert response.redirect_chain == [(page(order), 302)]
    assert [(m.level_tag, m.message) for m in response.context["messages"]] == [("error", message)]
    assert state(order) == before == ("pending", 1, [(5, 2)])


def test_status_change_needs_post_and_csrf(admin_client_for, operator, order):
    from django.test import Client

    client = admin_client_for(operator)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies

    assert client.get(f"{LIST}{order.pk}/status/").status_code == 405
    assert strict.post(f"{LIST}{order.pk}/status/", {"status": "cancelled"}).status_code == 403
    order.refresh_from_db()
    assert order.status == "pending"


# --- Notes --------------------------------------------------------------------------


def test_a_note_appears_on_the_timeline(admin_client_for, operator, order):
    client = admin_client_for(operator)

    response = client.post(f"{LIST}{order.pk}/note/", {"note": "Customer asked for gift wrap."}, follow=True)

    assert response.redirect_chain == [(page(order), 302)]
    assert [(m.level_tag, m.message) for m in response.context["messages"]] == [("success", "Note added.")]
    note = order.events.get(kind="note")
    assert (note.note, note.actor) == ("Customer asked for gift wrap.", operator)
    timeline = re.search(r'<ol class="order-timeline__events">.*?</ol>', response.content.decode(), re.S)[0]
    assert re.findall(r'<span class="order-event__kind">([^<]+)</span>', timeline) == ["Created", "Note"]
    assert '<p class="order-event__note">Customer asked for gift wrap.</p>' in timeline
    assert f'<span class="order-event__actor">{operator.username}</span>' in timeline


@pytest.mark.parametrize("note", ["", "   ", "x" * 5001])
def test_a_blank_or_too_long_note_is_refused(admin_client_for, operator, order, note):
    response = admin_client_for(operator).post(f"{LIST}{order.pk}/note/", {"note": note})

    assert flash(response) == [("error", "Write a note of up to 5,000 characters.")]
    assert not order.events.filter(kind="note").exists()


# --- Viewers ------------------------------------------------------------------------


def test_a_viewer_sees_no_buttons_and_cannot_change_anything(admin_client_for, viewer, order):
    client = admin_client_for(viewer)
    before = state(order)

    opened = client.get(page(order))
    moved = client.post(f"{LIST}{order.pk}/status/", {"status": "processing", "expected_status": "pending"})
    noted = client.post(f"{LIST}{order.pk}/note/", {"note": "viewer was here"})

    assert opened.status_code == 200
    html = opened.content.decode()
    assert STATUS_INPUT.findall(html) == []
    assert "order-note" not in html.replace("order-note-", "")
    assert 'id="order-timeline"' in html  # they can still read the timeline
    assert (moved.status_code, noted.status_code) == (403, 403)
    assert state(order) == before


# --- Export -------------------------------------------------------------------------


def _csv(response) -> list[str]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="orders-alpha-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


def test_export_writes_the_filtered_list_in_the_import_columns(admin_client_for, operator, tenant_a, stocked):
    stocked(tenant_a, "TEE", 10, price="20.00")
    stocked(tenant_a, "-MUG", 10, price="7.50")
    first = place(tenant_a, ("TEE", 2), ("-MUG", 1), email="ayse@example.com", name="=HYPERLINK(1)",
                  shipping_total="5.00", placed_at=datetime(2026, 5, 1, 9, 30, tzinfo=UTC))  # fmt: skip
    second = place(tenant_a, ("TEE", 1), email="ali@example.com", name="Ali",
                   placed_at=datetime(2026, 5, 2, 10, 0, tzinfo=UTC))  # fmt: skip
    services.change_status(second, "processing")

    everything = _csv(admin_client_for(operator).get(f"{LIST}export/"))
    pending = _csv(admin_client_for(operator).get(f"{LIST}export/?status__exact=pending"))

    header = "external_id,placed_at,status,currency,customer_email,customer_name,shipping_total,sku,title,quantity,unit_price,tax_rate"
    assert everything == [
        header,
        f"{second.number},2026-05-02T10:00:00+00:00,processing,TRY,ali@example.com,Ali,0.00,TEE,Item TEE,1,20.00,20.00",
        f"{first.number},2026-05-01T09:30:00+00:00,pending,TRY,ayse@example.com,'=HYPERLINK(1),5.00,TEE,Item TEE,2,20.00,20.00",
        f"{first.number},2026-05-01T09:30:00+00:00,pending,TRY,ayse@example.com,'=HYPERLINK(1),5.00,'-MUG,Item -MUG,1,7.50,20.00",
    ]
    assert pending == [header, *everything[2:]]
    [again] = orders_from_csv("\n".join(pending).encode())  # the import reads it back as it was
    assert again["external_id"] == first.number
    assert again["customer"] == {"email": "ayse@example.com", "name": "=HYPERLINK(1)"}
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in again["lines"]] == [
        ("TEE", 2, "20.00"),
        ("-MUG", 1, "7.50"),
    ]


def test_an_export_imports_on_another_channel(admin_client_for, operator, tenant_a, stocked):
    tee = stocked(tenant_a, "TEE", 10, price="20.00")
    original = place(tenant_a, ("TEE", 3), shipping_total="4.00")
    exported = "\n".join(_csv(admin_client_for(operator).get(f"{LIST}export/"))).encode()

    [result] = imports.import_orders(tenant_a.pk, orders_from_csv(exported), channel="import")

    assert result.status == "created"
    copy = Order.objects.get(pk=result.order_id)
    assert (copy.channel, copy.external_id, copy.total, copy.customer_id) == (
        "import", original.number, Decimal("64.00"), original.customer_id,
    )  # fmt: skip
    assert list(copy.lines.values_list("sku", "quantity", "unit_price")) == [("TEE", 3, Decimal("20.00"))]
    assert level(tee) == (10, 6)


def test_export_action_writes_the_selected_orders(admin_client_for, operator, tenant_a, tee):
    keep = place(tenant_a, ("TEE", 1))
    place(tenant_a, ("TEE", 1))

    response = admin_client_for(operator).post(
        LIST, {"action": "export_selected", "_selected_action": [keep.pk], "index": 0}
    )

    rows = _csv(response)
    assert [row.split(",")[0] for row in rows[1:]] == [keep.number]


# --- Needs attention ------------------------------------------------------------------


def test_needs_attention_lists_flagged_orders_and_opens_the_order(
    admin_client_for, operator, tenant_a, order, b_order
):
    flagged = services.place_order(
        tenant_a.pk,
        channel="import",
        external_id="X-1",
        lines=[{"sku": "NOPE", "quantity": 1, "unit_price": "1"}],
    )
    client = admin_client_for(operator)

    response = client.get(ATTENTION_LIST)

    assert response.status_code == 200
    assert [o.pk for o in response.context["cl"].result_list] == [flagged.pk]
    html = response.content.decode()
    assert f'href="{LIST}{flagged.pk}/change/"' in html
    assert '<td class="field-attention_reason">Unknown SKU: NOPE</td>' in html
    assert client.get(f"{ATTENTION_LIST}{flagged.pk}/change/").url == f"{LIST}{flagged.pk}/change/"
    index = client.get("/admin/").content.decode()
    assert f'<a href="{ATTENTION_LIST}">Orders needing attention</a>' in index


# --- Customers ----------------------------------------------------------------------


def test_customers_are_read_only_with_their_order_count(admin_client_for, manager, tenant_a, tee, b_order):
    place(tenant_a, ("TEE", 1), email="ayse@example.com", name="Ayşe")
    place(tenant_a, ("TEE", 1), email="ayse@example.com", name="Ayşe")
    place(tenant_a, ("TEE", 1), email="ali@example.com", name="Ali")
    client = admin_client_for(manager)

    response = client.get(CUSTOMERS)
    searched = client.get(f"{CUSTOMERS}?q=ayse")

    rows = [(c.email, c._order_count) for c in response.context["cl"].result_list]
    assert rows == [("ali@example.com", 1), ("ayse@example.com", 2)]  # not bravo's buyer
    ayse = Customer.objects.get(tenant=tenant_a, email="ayse@example.com")
    assert f'<a href="{LIST}?customer__id__exact={ayse.pk}">2</a>' in response.content.decode()
    assert [c.email for c in searched.context["cl"].result_list] == ["ayse@example.com"]
    assert client.get(f"{CUSTOMERS}add/").status_code == 403
    assert client.get(f"{CUSTOMERS}{b_order.customer_id}/change/").status_code == 302
    their_orders = client.get(f"{LIST}?customer__id__exact={ayse.pk}")
    assert len(their_orders.context["cl"].result_list) == 2
    other = client.get(f"{LIST}?customer__id__exact={b_order.customer_id}")
    assert list(other.context["cl"].result_list) == []


def test_operator_marks_a_flagged_order_as_resolved(tenant_a, operator, client, stocked):
    from orders import imports
    from orders.models import Order

    [result] = imports.import_orders(
        tenant_a.pk,
        [{"external_id": "R-1", "lines": [{"sku": "UNKNOWN", "quantity": 1, "unit_price": "2"}]}],
        channel="import",
    )
    order = Order.objects.get(pk=result.order_id)
    assert order.needs_attention
    client.force_login(operator)
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Mark as resolved" in page

    response = client.post(f"/admin/orders/order/{order.pk}/resolve/", follow=True)

    assert f"Order {order.number} no longer needs attention." in response.content.decode()
    order.refresh_from_db()
    assert not order.needs_attention and order.attention_reason == ""
    assert "Marked as resolved (was: Unknown SKU: UNKNOWN)." in order.events.get(kind="note").note
    again = client.post(f"/admin/orders/order/{order.pk}/resolve/", follow=True)
    assert "This order is not flagged." in again.content.decode()
