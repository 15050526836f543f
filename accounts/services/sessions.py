"""A user's admin sessions: a registry row per login (written when the user logs in,
its last-seen time refreshed at most once a minute), so the user can list them and end
the others. The sessions themselves live in the session store (SESSION_ENGINE); ending
one deletes it there, which logs that browser out at its next request."""

import time
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User, UserSession
from meschain import audit
from meschain.middleware import client_ip

#: session entry holding when the registry row was last refreshed (unix seconds)
SEEN_KEY = "_mc_seen"
SEEN_RESOLUTION = timedelta(minutes=1)
RESET_MAILS_PER_HOUR = 5
RESET_REQUESTS_PER_HOUR = 20


def _store(session_key: str | None = None) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]


def register(request: HttpRequest, user: User) -> UserSession | None:
    """Record the session `user` has just logged in with (nothing for a login without a
    session, such as the API's)."""
    session = getattr(request, "session", None)
    if session is None or str(session.get(SESSION_KEY, "")) != str(user.pk):
        return None
    if not session.session_key:
        session.save()
    now = timezone.now()
    row, _created = UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "last_seen_at": now,
            "ip_address": client_ip(request),
            "user_agent": _user_agent(request),
        },
    )
    session[SEEN_KEY] = int(time.time())
    # rows of sessions that have surely timed out since (idle longer than the limit)
    idle_limit = timedelta(seconds=settings.SESSION_COOKIE_AGE) + SEEN_RESOLUTION
    UserSession.objects.filter(user=user, last_seen_at__lt=now - idle_limit).delete()
    return row


def touch(request: HttpRequest) -> None:
    """Refresh the current session's last-seen time, at most once a minute (the session
    remembers when it last did, so most requests cost nothing)."""
    session = request.session
    seen = session.get(SEEN_KEY)
    if seen is None or time.time() - seen < SEEN_RESOLUTION.total_seconds():
        return
    UserSession.objects.filter(session_key=session.session_key, user_id=request.user.pk).update(
        last_seen_at=timezone.now(), ip_address=client_ip(request), user_agent=_user_agent(request)
    )
    session[SEEN_KEY] = int(time.time())


def rekey(old_key: str | None, new_key: str | None) -> None:
    """The session got a new key (a password change cycles it): keep its row."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def forget(session_key: str | None) -> None:
    """The session ended (logout)."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still exist in the store, newest activity first; rows of
    sessions that expired are removed."""
    live, dead = [], []
    for row in UserSession.objects.filter(user=user).order_by("-last_seen_at"):
        data = _store(row.session_key).load()
        (live if str(data.get(SESSION_KEY, "")) == str(user.pk) else dead).append(row.pk)
    if dead:
        UserSession.objects.filter(pk__in=dead).delete()
    return list(UserSession.objects.filter(pk__in=live).order_by("-last_seen_at"))


def end_sessions(user: User, *, keep: str | None = None, actor: Any = None, only: int | None = None) -> int:
    """Delete the user's sessions from the store (all, all but `keep`, or the one row
    `only`) and their rows. Returns how many were ended."""
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    if only is not None:
        rows = rows.filter(pk=only)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        _store(key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    if keys and actor is not None:
        audit.record("user.sessions_ended", actor=actor, obj=user, after={"count": len(keys)})
    return len(keys)


def allow_password_reset_mail(request: HttpRequest, email: str) -> bool:
    """At most RESET_MAILS_PER_HOUR reset mails an hour to one address and
    RESET_REQUESTS_PER_HOUR requests from one client, so the form cannot flood an inbox."""
    limits = {
        f"pwreset:ip:{client_ip(request) or '-'}": RESET_REQUESTS_PER_HOUR,
        f"pwreset:email:{email.strip().lower()[:254]}": RESET_MAILS_PER_HOUR,
    }
    allowed = True
    for name, limit in limits.items():
        cache.add(name, 0, timeout=3600)
        allowed = cache.incr(name) <= limit and allowed
    return allowed


def after_password_change(user: User, *, keep: str | None = None, by_reset: bool = False) -> int:
    """A new password ends every other session of the user, in the admin (all but
    `keep`) and in the API (refresh tokens revoked). Returns the admin sessions ended."""
    from accounts.services import revoke_user_tokens

    ended = end_sessions(user, keep=keep)
    revoke_user_tokens(user)
    audit.record(
        "user.password_reset" if by_reset else "user.password_changed",
        actor=user,
        obj=user,
        after={"sessions_ended": ended},
    )
    return ended
