"""Sync in the admin: mixins for the marketplace ModelAdmins (marketplaces/admin.py).

- accounts: "Test connection" and "Sync now" (button on the page, actions on the list), health
  columns (the last job, listings in error);
- listings: the "Retry" action;
- sync jobs: live progress (static/marketplaces/sync_progress.js polls a JSON view of the
  job; no inline script under the strict CSP) and "Cancel".

The products' "Sync to marketplace…" action is in marketplaces/admin_products.py.

Every rule is in marketplaces.services; these views only ask and report.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from marketplaces import services
from marketplaces.models import (
    ACTIVE_SYNC_STATES,
    Listing,
    ListingStatus,
    MarketplaceAccount,
    SyncJob,
    SyncKind,
    SyncState,
)
from meschain.admin import report_domain_error
from meschain.errors import Conflict, DomainError

PROGRESS_JS = "marketplaces/sync_progress.js"
STAGE_LABELS = {kind.value: kind.label for kind in SyncKind}


def badge(value: str, label: Any) -> str:
    return format_html('<span class="mp-status mp-status--{}">{}</span>', value, label)


def _admin_url(name: str, *args: Any) -> str:
    return reverse(f"admin:marketplaces_{name}", args=args)


def job_link(job_id: Any, label: Any = None) -> str:
    return format_html(
        '<a href="{}">{}</a>', _admin_url("syncjob_change", quote(job_id)), label or f"#{job_id}"
    )


def request_sync_reporting(request: HttpRequest, account: MarketplaceAccount, kind: str) -> SyncJob | None:
    """Ask for a sync and tell the user how it went (a running one is named and linked)."""
    kind_label = SyncKind(kind).label
    try:
        job = services.request_sync(account, kind, actor=request.user)
    except Conflict as exc:
        running = (exc.details or {}).get("job") or []
        if running:
            messages.warning(request, format_html(
                gettext("{account}: a {kind} sync is already queued or running: {job}. Wait for it to finish."),
                account=account.name, kind=kind_label, job=job_link(running[0], gettext("sync #%s") % running[0]),
            ))  # fmt: skip
        else:
            messages.warning(request, f"{account.name}: {exc.message}")
        return None
    except DomainError as exc:
        report_domain_error(request, exc)
        return None
    messages.success(request, format_html(
        gettext("{account}: {kind} sync {job} requested."), account=account.name, kind=kind_label,
        job=job_link(job.pk),
    ))  # fmt: skip
    return job


def report_connection(request: HttpRequest, account: MarketplaceAccount) -> bool:
    ok, message = services.test_connection(account, actor=request.user)
    if ok:
        messages.success(
            request, gettext("%(account)s: %(message)s") % {"account": account.name, "message": message}
        )
    else:
        messages.error(
            request,
            gettext("%(account)s: the connection failed: %(message)s")
            % {"account": account.name, "message": message},
        )
    return ok


# --- Marketplace accounts ----------------------------------------------------------------


def _sync_action(kind: str, description: Any) -> Any:
    @admin.action(description=description, permissions=["sync"])
    def action(model_admin: Any, request: HttpRequest, queryset: QuerySet) -> None:
        for account in queryset.order_by("name", "id"):
            request_sync_reporting(request, account, kind)

    action.__name__ = f"sync_{kind}"
    return action


class AccountSyncMixin:
    """Test connection and Sync now for MarketplaceAccountAdmin, and its health columns."""

    change_form_template = "admin/marketplaces/marketplaceaccount/change_form.html"
    actions = [
        "test_connection_selected",
        _sync_action(SyncKind.FULL, _("Sync now: full")),
        _sync_action(SyncKind.CATALOG, _("Sync now: catalogue")),
        _sync_action(SyncKind.STOCK_PRICE, _("Sync now: stock and prices")),
        _sync_action(SyncKind.ORDERS, _("Sync now: orders")),
    ]

    def has_sync_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("marketplaces.add_syncjob")

    def has_test_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("marketplaces.change_marketplaceaccount")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        jobs = SyncJob.objects.filter(account=OuterRef("pk")).order_by("-id")
        errors = (
            Listing.objects.filter(account=OuterRef("pk"), status=ListingStatus.ERROR)
            .order_by().values("account").annotate(n=Count("id")).values("n")
        )  # fmt: skip
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_job_id=Subquery(jobs.values("id")[:1]),
                last_job_kind=Subquery(jobs.values("kind")[:1]),
                last_job_state=Subquery(jobs.values("state")[:1]),
                listings_in_error=Coalesce(Subquery(errors, output_field=IntegerField()), Value(0)),
            )
        )

    @admin.display(description=_("last sync"))
    def last_sync(self, account: MarketplaceAccount) -> str:
        if not getattr(account, "last_job_id", None):
            return gettext("never")
        label = f"{SyncKind(account.last_job_kind).label} #{account.last_job_id}"
        return format_html(
            "{} {}", job_link(account.last_job_id, label),
            badge(account.last_job_state, SyncState(account.last_job_state).label),
        )  # fmt: skip

    @admin.display(description=_("listings in error"), ordering="listings_in_error")
    def listings_in_error_link(self, account: MarketplaceAccount) -> str:
        count = getattr(account, "listings_in_error", 0)
        if not count:
            return "0"
        url = _admin_url("listing_changelist") + f"?account={account.pk}&status__exact=error"
        return format_html('<a class="mp-error" href="{}">{}</a>', url, count)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/test-connection/", wrap(require_POST(self.test_connection_view)),
                 name="marketplaces_marketplaceaccount_test_connection"),
            path("<path:object_id>/sync/", wrap(require_POST(self.sync_view)),
                 name="marketplaces_marketplaceaccount_sync"),
            *super().get_urls(),
        ]  # fmt: skip

    def _account(self, request: HttpRequest, object_id: str, allowed: bool) -> MarketplaceAccount:
        account = self.get_object(request, unquote(object_id))
        if account is None:  # another tenant's account is no different from a missing one
            raise Http404(gettext("No marketplace account with this id."))
        if not allowed:
            raise PermissionDenied
        return account

    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self._account(request, object_id, self.has_test_permission(request))
        report_connection(request, account)
        return HttpResponseRedirect(_admin_url("marketplaceaccount_change", quote(account.pk)))

    def sync_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self._account(request, object_id, self.has_sync_permission(request))
        kind = request.POST.get("kind", "")
        if kind not in SyncKind.values:
            messages.error(request, gettext("Choose what to sync."))
            job = None
        else:
            job = request_sync_reporting(request, account, kind)
        if job is not None:
            return HttpResponseRedirect(_admin_url("syncjob_change", quote(job.pk)))
        return HttpResponseRedirect(_admin_url("marketplaceaccount_change", quote(account.pk)))

    @admin.action(description=_("Test connection"), permissions=["test"])
    def test_connection_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for account in queryset.order_by("name", "id"):
            report_connection(request, account)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:  # fmt: skip
        context = dict(extra_context or {})
        account = self.get_object(request, unquote(object_id))
        if account is not None:
            health = services.account_health([account])[account.pk]
            context |= {
                "can_test": self.has_test_permission(request),
                "can_sync": self.has_sync_permission(request) and account.is_active,
                "test_connection_url": _admin_url("marketplaceaccount_test_connection", quote(account.pk)),
                "sync_url": _admin_url("marketplaceaccount_sync", quote(account.pk)),
                "sync_kinds": SyncKind.choices,
                "health": health,
                "last_job_link": job_link(health["last_job"]["id"]) if health["last_job"] else "",
                "last_job_badge": badge(health["last_job"]["state"], SyncState(health["last_job"]["state"]).label)
                if health["last_job"] else "",
                "error_listings_url": _admin_url("listing_changelist") + f"?account={account.pk}&status__exact=error",
            }  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context=context)


# --- Listings ----------------------------------------------------------------------------


class ListingRetryMixin:
    """The "Retry" action: listings in error are due again, and a catalogue sync of their
    accounts is requested (an account whose catalogue sync is queued or running is skipped:
    that one, or the next, sends them)."""

    actions = ["retry_selected"]

    def has_retry_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("marketplaces.change_listing") and request.user.has_perm(
            "marketplaces.add_syncjob"
        )

    @admin.action(description=_("Retry selected listings"), permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        account_ids = set(queryset.filter(status=ListingStatus.ERROR).values_list("account_id", flat=True))
        count = services.retry_listings(queryset, actor=request.user)
        if not count:
            messages.warning(request, gettext("None of the selected listings is in error: nothing to retry."))
            return
        messages.success(request, ngettext(
            "%(count)d listing will be sent again.", "%(count)d listings will be sent again.", count,
        ) % {"count": count})  # fmt: skip
        for account in MarketplaceAccount.objects.filter(pk__in=account_ids, is_active=True).order_by("name"):
            try:
                job = services.request_sync(account, SyncKind.CATALOG, actor=request.user)
            except Conflict as exc:
                running = (exc.details or {}).get("job") or []
                messages.info(request, format_html(
                    gettext("{account}: a catalogue sync is already queued or running ({job}); it or the next "
                            "one sends them."),
                    account=account.name, job=job_link(running[0]) if running else "",
                ))  # fmt: skip
            else:
                messages.info(request, format_html(
                    gettext("{account}: catalogue sync {job} requested."), account=account.name, job=job_link(job.pk)
                ))  # fmt: skip


# --- Sync jobs ---------------------------------------------------------------------------


def progress_data(job: SyncJob) -> dict[str, Any]:
    """What the progress view sends and the page shows."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "active": job.state in ACTIVE_SYNC_STATES,
        "stage": job.stage,
        "stage_label": str(STAGE_LABELS.get(job.stage, job.stage)),
        "message": job.message,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "processed": job.processed,
        "percent": job.percent,
        "requests": job.requests,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


class SyncJobLiveMixin:
    """Live progress fields, the JSON they poll, and the Cancel button of SyncJobAdmin."""

    change_form_template = "admin/marketplaces/syncjob/change_form.html"

    def has_cancel_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("marketplaces.change_syncjob")

    def _live(self, job: SyncJob, field: str, content: Any) -> str:
        """`content`, refreshed in the page by sync_progress.js while the job is queued or running."""
        if job.state not in ACTIVE_SYNC_STATES:
            return format_html('<span data-sync-field="{}">{}</span>', field, content)
        url = _admin_url("syncjob_progress", quote(job.pk))
        return format_html('<span data-sync-job="{}" data-sync-field="{}">{}</span>', url, field, content)

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, job: SyncJob) -> str:
        return self._live(job, "state", badge(job.state, job.get_state_display()))

    @admin.display(description=_("progress"))
    def progress(self, job: SyncJob) -> str:
        finished = job.state not in ACTIVE_SYNC_STATES
        bar = format_html(
            '<progress class="mp-progress" max="{}" value="{}">{}%</progress>'
            '<span class="mp-progress__label">{} / {}</span>',
            job.total or 1, job.processed if job.total else int(finished), job.percent, job.processed, job.total,
        )  # fmt: skip
        return self._live(job, "progress", bar)

    @admin.display(description=_("stage"))
    def live_stage(self, job: SyncJob) -> str:
        return self._live(job, "stage_label", STAGE_LABELS.get(job.stage, job.stage))

    @admin.display(description=_("message"))
    def live_message(self, job: SyncJob) -> str:
        return self._live(job, "message", job.message)

    @admin.display(description=_("items done"))
    def live_done(self, job: SyncJob) -> str:
        return self._live(job, "done", job.done)

    @admin.display(description=_("items failed"))
    def live_failed(self, job: SyncJob) -> str:
        return self._live(job, "failed", job.failed)

    @admin.display(description=_("items in total"))
    def live_total(self, job: SyncJob) -> str:
        return self._live(job, "total", job.total)

    @admin.display(description=_("requests sent"))
    def live_requests(self, job: SyncJob) -> str:
        return self._live(job, "requests", job.requests)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/progress/", wrap(require_GET(self.progress_view)),
                 name="marketplaces_syncjob_progress"),
            path("<path:object_id>/cancel/", wrap(require_POST(self.cancel_view)),
                 name="marketplaces_syncjob_cancel"),
            *super().get_urls(),
        ]  # fmt: skip

    def _job(self, request: HttpRequest, object_id: str) -> SyncJob:
        job = self.get_object(request, unquote(object_id))
        if job is None:  # another tenant's job is no different from a missing one
            raise Http404(gettext("No sync job with this id."))
        return job

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return JsonResponse(progress_data(self._job(request, object_id)))  # admin_view: never cached

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self._job(request, object_id)
        if not self.has_cancel_permission(request, job):
            raise PermissionDenied
        try:
            services.cancel_job(job, actor=request.user)
        except DomainError as exc:
            messages.warning(request, str(exc.message))
        else:
            messages.success(request, gettext("Sync #%(id)s cancelled.") % {"id": job.pk})
        return HttpResponseRedirect(_admin_url("syncjob_change", quote(job.pk)))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:  # fmt: skip
        context = dict(extra_context or {})
        job = self.get_object(request, unquote(object_id))
        if job is not None:
            context |= {
                "can_cancel": self.has_cancel_permission(request, job) and job.state in ACTIVE_SYNC_STATES,
                "cancel_url": _admin_url("syncjob_cancel", quote(job.pk)),
                "progress_url": _admin_url("syncjob_progress", quote(job.pk)),
            }
        return super().change_view(request, object_id, form_url, extra_context=context)
