"""Hooks into Django's and axes' authentication signals: they only write audit rows
through the services, for the admin and the API logins alike."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts import services
from accounts.services import sessions, two_factor


@receiver(user_logged_in, dispatch_uid="meschain.audit_login")
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.record_login(user)


@receiver(user_login_failed, dispatch_uid="meschain.audit_login_failed")
def _audit_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # recorded as a lockout
    services.record_failed_login(
        str(credentials.get("username") or ""), two_factor=bool(credentials.get("two_factor"))
    )


@receiver(user_locked_out, dispatch_uid="meschain.audit_lockout")
def _audit_lockout(sender: Any, request: Any = None, username: str = "", **kwargs: Any) -> None:
    services.record_lockout(str(username or ""))


@receiver(user_logged_in, dispatch_uid="meschain.session_registry")
def _register_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A browser login: record the session, and send a user whose tenant requires
    two-factor authentication and who has none to set it up."""
    if request is None or sessions.register(request, user) is None:
        return
    if two_factor.must_enrol(user):
        request.session[two_factor.ENROL_SESSION_KEY] = True


@receiver(user_logged_out, dispatch_uid="meschain.session_registry_logout")
def _forget_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        sessions.forget(session.session_key)
