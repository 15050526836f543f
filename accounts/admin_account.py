"""The admin pages of a user's own account: their sessions, changing the password
(which ends their other sessions) and resetting a forgotten one by email."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.services import sessions


def _admin_context(request: HttpRequest, **extra: Any) -> dict:
    return {**admin.site.each_context(request), "subtitle": None, **extra}


def my_sessions(request: HttpRequest) -> HttpResponse:
    """GET: the user's sessions. POST `end_others`: log out every other session; POST
    `end` (a row id): log out that one session."""
    user = request.user
    current = request.session.session_key
    if request.method == "POST":
        only = request.POST.get("end", "")
        if "end_others" in request.POST:
            ended = sessions.end_sessions(user, keep=current, actor=user)
        elif only.isdigit():
            ended = sessions.end_sessions(user, keep=current, actor=user, only=int(only))
        else:
            ended = 0
        messages.success(
            request,
            ngettext("%(count)d session logged out.", "%(count)d sessions logged out.", ended)
            % {"count": ended},
        )
        return HttpResponseRedirect(reverse("account-sessions"))
    rows = sessions.live_sessions(user)
    context = _admin_context(
        request,
        title=_("My sessions"),
        sessions=[(row, row.session_key == current) for row in rows],
        others=sum(1 for row in rows if row.session_key != current),
    )
    return TemplateResponse(request, "admin/accounts/sessions.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """The admin's password change; the other sessions and API tokens end with it."""

    form_class = AdminPasswordChangeForm
    success_url = reverse_lazy("admin:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # keeps this session, under a new key
        new_key = self.request.session.session_key
        sessions.rekey(old_key, new_key)
        sessions.after_password_change(form.user, keep=new_key)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Mails a reset link; past the hourly limit the answer is the same, without a mail."""

    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        if not sessions.allow_password_reset_mail(self.request, form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password from an emailed link ends every session of the user."""

    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        sessions.after_password_change(form.user, by_reset=True)
        return response


def with_admin_context(view_class: type, **initkwargs: Any) -> Callable[..., HttpResponse]:
    """A view of `view_class` rendered in the admin's frame (site header, title)."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.current_app = admin.site.name
        return view_class.as_view(extra_context=_admin_context(request), **initkwargs)(request, *args, **kwargs)

    return view


password_reset = with_admin_context(PasswordResetView)
password_reset_done = with_admin_context(auth_views.PasswordResetDoneView)
password_reset_confirm = with_admin_context(PasswordResetConfirmView)
password_reset_complete = with_admin_context(auth_views.PasswordResetCompleteView)


def password_change(request: HttpRequest) -> HttpResponse:
    return with_admin_context(PasswordChangeView)(request)
