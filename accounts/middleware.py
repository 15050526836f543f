"""Per-request account security for browser sessions: the two-factor setup a tenant
requires, and the session registry's last-seen time. Requests without a session cookie
(the API with a token or key) are left alone, at no cost."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.services import sessions, two_factor


def _may_pass(path: str) -> bool:
    """Pages a user who must still set up two-factor can open."""
    admin_root = reverse("admin:index")
    if not path.startswith(admin_root):
        return True
    allowed = (
        reverse("account-two-factor-setup"),
        reverse("admin:logout"),
        reverse("admin:jsi18n"),
    )
    return path in allowed


class AccountSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            if request.session.get(two_factor.ENROL_SESSION_KEY) and not _may_pass(request.path):
                return HttpResponseRedirect(reverse("account-two-factor-setup"))
            sessions.touch(request)
        return self.get_response(request)
