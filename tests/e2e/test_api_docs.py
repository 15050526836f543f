"""The interactive API documentation works in a browser with nothing but this server."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_loads_offline_and_shows_the_api(page: Page, live_server: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/api/docs/")

    title = page.get_by_role("heading", level=1)
    expect(title).to_have_count(1)
    expect(title).to_have_text(re.compile(r"^MesChain API\s*1\.0\.0\s*OAS 3\.0$"))
    expect(page.locator(".opblock-summary-path[data-path='/api/auth/login']")).to_have_count(1)
    expect(page.locator(".opblock-summary-path[data-path='/api/users/me']")).to_have_count(1)
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    assert requested[0] == f"{live_server.url}/api/docs/"
    assert f"{live_server.url}/api/schema/" in requested
    assert [url for url in requested if not url.startswith((f"{live_server.url}/", "data:"))] == []
