"""Browser fixtures: Debian's Chromium driven by Playwright against the live server.

Every test gets a fresh browser context and page. When the test body has passed, it
still fails if any page it visited logged a console error, threw an uncaught exception
or broke the Content-Security-Policy. Each test leaves a screenshot of its last page in
artifacts/screenshots/.

Without Chromium the tests are skipped, except in CI (CI=true), where they fail.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Response, sync_playwright

from tests.marketplaces.sync_world import fast_sync, sync_sandbox  # noqa: F401 (fixtures of the sync tests)

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
TIMEOUT_MS = 10_000
FAILED_RESOURCE = re.compile(r"^Failed to load resource: the server responded with a status of (\d+)")

# Runs in every page before its own scripts: keeps each CSP violation in
# window.__cspViolations and hands it to the test at once, since a navigation
# throws the page's window (and its list) away.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    page: document.location.href,
  };
  window.__cspViolations.push(violation);
  if (window.__reportCspViolation) {
    window.__reportCspViolation(violation);
  }
}, true);
"""


class PageProblems:
    """What went wrong in the pages a test visited, as a person watching the console saw it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console_errors: list[tuple[str, str]] = []  # (text, url)
        self.csp_violations: list[dict] = []
        self.documents: set[tuple[str, int]] = set()  # (url, status) of every page loaded
        self.allowed_statuses: set[int] = set()

    def allow_document_status(self, status: int) -> None:
        """The test expects a page to answer with this HTTP error status (429 for a
        lockout, say): the browser's "Failed to load resource" line for it is no error."""
        self.allowed_statuses.add(status)

    def on_console(self, message: ConsoleMessage) -> None:
        url = message.location.get("url") or self.page.url
        if "Content Security Policy" in message.text:
            self.csp_violations.append({"console": message.text, "page": url})
        elif message.type == "error":
            self.console_errors.append((message.text, url))

    def on_response(self, response: Response) -> None:
        if response.request.resource_type == "document":
            self.documents.add((response.url, response.status))

    def on_violation(self, source: Any, violation: dict) -> None:
        if violation not in self.csp_violations:
            self.csp_violations.append(violation)

    def read_back(self) -> None:
        """The violations the current page recorded itself (its window's list)."""
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.on_violation(None, violation)

    def unexpected_errors(self) -> list[str]:
        errors = []
        for text, url in self.console_errors:
            failed = FAILED_RESOURCE.match(text)
            if failed and int(failed[1]) in self.allowed_statuses and (url, int(failed[1])) in self.documents:
                continue
            errors.append(f"{text} ({url})")
        return errors


PROBLEMS = pytest.StashKey[PageProblems]()


@pytest.fixture(scope="package")
def _async_unsafe_allowed() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in this thread; the ORM calls
    the tests make meanwhile are still plain synchronous code."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def playwright(_async_unsafe_allowed: None) -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: browser tests must run in CI", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = PageProblems(page)
    context.expose_binding("__reportCspViolation", problems.on_violation)
    context.add_init_script(CSP_RECORDER)
    page.on("console", problems.on_console)
    page.on("response", problems.on_response)
    page.on("pageerror", lambda error: problems.console_errors.append((f"uncaught {error}", page.url)))
    page.on("crash", lambda _page: problems.console_errors.append(("the page crashed", page.url)))
    request.node.stash[PROBLEMS] = problems
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page_problems(page: Page, request: pytest.FixtureRequest) -> PageProblems:
    return request.node.stash[PROBLEMS]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a browser test's own assertions: no console error, no CSP violation."""
    result = yield
    problems = item.stash.get(PROBLEMS, None)
    if problems is not None:
        problems.read_back()
        assert not problems.csp_violations, "Content-Security-Policy violations:\n" + "\n".join(
            map(str, problems.csp_violations)
        )
        errors = problems.unexpected_errors()
        assert not errors, "console errors:\n" + "\n".join(errors)
    return result
