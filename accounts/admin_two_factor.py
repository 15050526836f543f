"""The admin pages of a user's two-factor authentication: its state, setting it up with
an authenticator app, recovery codes, turning it off, and (owners) the tenant's
requirement. Every change goes through accounts.services.two_factor."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import AppCodeForm, CodeForm, RequirementForm
from accounts.models import Role
from accounts.services import two_factor
from meschain.admin import report_domain_error
from meschain.errors import DomainError

ENROL_SESSION_KEY = two_factor.ENROL_SESSION_KEY


def _context(request: HttpRequest, title: str, **extra: Any) -> dict:
    return {**admin.site.each_context(request), "title": title, "subtitle": None, **extra}


def _overview_url() -> str:
    return reverse("account-two-factor")


def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    enabled = two_factor.is_enabled(user)
    tenant = user.tenant
    context = _context(
        request,
        _("Two-factor authentication"),
        enabled=enabled,
        required=bool(tenant and tenant.require_two_factor),
        recovery_codes_left=two_factor.recovery_codes_left(user) if enabled else 0,
        code_form=CodeForm(),
        tenant=tenant,
        is_owner=tenant is not None and user.role == Role.OWNER,
        requirement_form=RequirementForm(initial={"require_two_factor": bool(tenant and tenant.require_two_factor)}),
    )
    return TemplateResponse(request, "admin/accounts/two_factor/overview.html", context)


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """Shown once, in this answer only: never stored in the session or a message."""
    context = _context(request, _("Your recovery codes"), codes=codes)
    response = TemplateResponse(request, "admin/accounts/two_factor/recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


def setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if two_factor.is_enabled(user):
        request.session.pop(ENROL_SESSION_KEY, None)
        messages.info(request, _("Two-factor authentication is already on."))
        return HttpResponseRedirect(_overview_url())
    device = two_factor.pending_device(user)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.confirm_enrolment(user, form.cleaned_data["code"])
        except two_factor.OtpInvalid:
            form.add_error("code", _("The code is not valid. Check the time on your phone and try again."))
        else:
            request.session.pop(ENROL_SESSION_KEY, None)
            messages.success(request, _("Two-factor authentication is on."))
            return _show_recovery_codes(request, codes)
    context = _context(
        request,
        _("Set up two-factor authentication"),
        form=form,
        secret=two_factor.secret_of(device),
        qr_code=two_factor.qr_data_uri(device),
        enrolment_required=bool(request.session.get(ENROL_SESSION_KEY)),
    )
    return TemplateResponse(request, "admin/accounts/two_factor/setup.html", context)


@require_POST
def regenerate_codes(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            return _show_recovery_codes(
                request, two_factor.regenerate_recovery_codes(request.user, form.cleaned_data["code"])
            )
        except DomainError as exc:
            report_domain_error(request, exc)
    else:
        messages.error(request, _("Give a code to confirm."))
    return HttpResponseRedirect(_overview_url())


@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.disable(request.user, actor=request.user, code=form.cleaned_data["code"])
        except DomainError as exc:
            report_domain_error(request, exc)
        else:
            messages.success(request, _("Two-factor authentication is off."))
    else:
        messages.error(request, _("Give a code to confirm."))
    return HttpResponseRedirect(_overview_url())


@require_POST
def requirement(request: HttpRequest) -> HttpResponse:
    form = RequirementForm(request.POST)
    tenant = request.user.tenant
    if tenant is None or not form.is_valid():
        messages.error(request, _("Only an owner of this tenant may do this."))
        return HttpResponseRedirect(_overview_url())
    required = form.cleaned_data["require_two_factor"]
    try:
        two_factor.set_tenant_requirement(tenant, required=required, actor=request.user)
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        message = (
            _("Two-factor authentication is now required for everyone in %(tenant)s.")
            if required
            else _("Two-factor authentication is no longer required in %(tenant)s.")
        )
        messages.success(request, message % {"tenant": tenant.name})
    return HttpResponseRedirect(_overview_url())
