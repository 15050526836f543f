"""The admin's login in two steps: the password, then — for a user with two-factor
authentication on — a code from the authenticator app or a recovery code. The user is
logged in (session, signals, axes reset) only after the second step."""

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.generic import FormView

from accounts.backends import TenantUserBackend
from accounts.forms import CodeForm
from accounts.lockout import lockout_response
from accounts.models import User
from accounts.services import two_factor

#: session entry of a login waiting for its code: user id, backend, since, next
PENDING_KEY = "_mc_2fa_pending"
PENDING_SECONDS = 5 * 60


class TwoStepLoginView(LoginView):
    """Django's admin login; a user with two-factor on goes on to the code step
    instead of being logged in."""

    def form_valid(self, form: AdminAuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor.is_enabled(user):
            return super().form_valid(form)
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "since": int(time.time()),
            "next": self.get_success_url(),
        }
        return HttpResponseRedirect(reverse("admin-login-code"))


@never_cache
@login_not_required
def login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """AdminSite.login, with the two-step view."""
    site = admin.site
    if request.method == "GET" and site.has_permission(request):
        return HttpResponseRedirect(reverse("admin:index", current_app=site.name))
    context = {
        **site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
    }
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=site.name)
    context.update(extra_context or {})
    request.current_app = site.name
    return TwoStepLoginView.as_view(
        extra_context=context,
        authentication_form=site.login_form or AdminAuthenticationForm,
        template_name=site.login_template or "admin/login.html",
    )(request)


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SECONDS:
        return None
    user = User.objects.select_related("tenant").filter(pk=pending.get("user")).first()
    if user is None or not user.is_staff or not TenantUserBackend().user_can_authenticate(user):
        return None
    return user


@method_decorator([never_cache, csrf_protect], name="dispatch")
class LoginCodeView(FormView):
    """The second step: the code. A wrong code is a failed login (lockout, audit)."""

    form_class = CodeForm
    template_name = "admin/accounts/login_code.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.user = _pending_user(request)
        if self.user is None:
            request.session.pop(PENDING_KEY, None)
            messages.warning(request, _("Your login took too long. Log in again."))
            return HttpResponseRedirect(reverse("admin:login"))
        if AxesProxyHandler.is_locked(request, {"username": self.user.get_username()}):
            request.session.pop(PENDING_KEY, None)
            return lockout_response(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict:
        return {
            **admin.site.each_context(self.request),
            **super().get_context_data(**kwargs),
            "title": _("Two-factor authentication"),
            "subtitle": None,
            "login_username": self.user.get_username(),
        }

    def form_valid(self, form: CodeForm) -> HttpResponse:
        request = self.request
        used = two_factor.verify(self.user, form.cleaned_data["code"])
        if used is None:
            if two_factor.record_failed_code(request, self.user):
                request.session.pop(PENDING_KEY, None)  # axes answers with the lockout page
            form.add_error("code", _("The code is not valid."))
            return self.form_invalid(form)
        pending = request.session.pop(PENDING_KEY)
        auth_login(request, self.user, backend=pending["backend"])
        if used == "recovery":
            left = two_factor.recovery_codes_left(self.user)
            messages.warning(
                request,
                ngettext(
                    "You logged in with a recovery code. %(count)d recovery code is left.",
                    "You logged in with a recovery code. %(count)d recovery codes are left.",
                    left,
                )
                % {"count": left},
            )
        target = pending.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("admin:index")
        return HttpResponseRedirect(target)
