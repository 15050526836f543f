"""An owner connects a storefront webhook in the back office and watches a delivery."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.e2e.test_admin import log_in
from tests.webhooks.receiver import Receiver, free_port
from webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_adds_an_endpoint_sees_the_secret_once_and_a_test_delivery(page: Page, owner: User) -> None:
    receiver = Receiver(port=free_port()).start()
    try:
        log_in(page, "alpha-owner")
        page.goto("/admin/webhooks/webhookendpoint/add/")
        page.get_by_label("URL:").fill(receiver.url)
        page.get_by_label("order.created").check()
        page.get_by_role("button", name="Save", exact=True).click()

        expect(page).to_have_title(re.compile("Webhook endpoint created"))
        secret = page.locator("#webhook-secret").input_value()
        assert secret.startswith("whsec_")
        page.get_by_role("link", name="Back to webhook endpoints").click()
        expect(page.locator("#result_list")).to_contain_text(receiver.url)
        assert secret not in page.content()

        page.locator("#result_list tbody input[name=_selected_action]").first.check()
        page.locator("select[name=action]").select_option("send_test_delivery")
        page.get_by_role("button", name="Go").click()
        expect(page.locator(".messagelist")).to_contain_text("A test delivery was queued")

        [request] = receiver.wait_for(1)
        assert json.loads(request.body)["type"] == "webhook.test"
        page.goto("/admin/webhooks/webhookdelivery/")
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        expect(page.locator("#result_list tbody tr")).to_contain_text("Succeeded")
        page.locator("#result_list tbody th a").first.click()
        expect(page.locator("#content")).to_contain_text("webhook.test")
        assert WebhookEndpoint.objects.get().event_types == ["order.created"]
        assert secret not in page.content()
    finally:
        receiver.stop()
