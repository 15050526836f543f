"""Hooks into Django's and axes' authentication signals: they only write audit rows
through the services, for the admin and the API logins alike."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts import services


@receiver(user_logged_in, dispatch_uid="meschain.audit_login")
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.record_login(user)


@receiver(user_login_failed, dispatch_uid="meschain.audit_login_failed")
def _audit_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # recorded as a lockout
    services.record_failed_login(str(credentials.get("username") or ""))


@receiver(user_locked_out, dispatch_uid="meschain.audit_lockout")
def _audit_lockout(sender: Any, request: Any = None, username: str = "", **kwargs: Any) -> None:
    services.record_lockout(str(username or ""))
