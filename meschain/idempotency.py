"""Idempotency-Key for writes a client may retry (create order, bulk operations, imports).

The same key with the same body replays the first response; the same key with another
body is refused (409); a retry while the first request still runs is refused (409).
Records are kept for IDEMPOTENCY_TTL_HOURS.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from meschain.errors import Conflict, ValidationFailed
from meschain.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _principal(request: Request) -> str:
    key_id = getattr(request.user, "api_key_id", None)
    return f"key:{key_id}" if key_id else f"user:{request.user.pk}"


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body or b"")
    return digest.hexdigest()


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a DRF handler (self, request, …) so it honours Idempotency-Key."""

    @wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(self, request, *args, **kwargs)
        if len(key) > 200:
            raise ValidationFailed(details={HEADER: [_("At most 200 characters.")]})
        tenant_id = getattr(request.user, "tenant_id", None)
        if tenant_id is None:
            return view(self, request, *args, **kwargs)
        principal, fingerprint = _principal(request), _fingerprint(request)
        cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
        IdempotencyRecord.objects.filter(tenant_id=tenant_id, principal=principal, key=key, created_at__lt=cutoff).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    tenant_id=tenant_id, principal=principal, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(tenant_id=tenant_id, principal=principal, key=key)
            if record.request_hash != fingerprint:
                raise Conflict(_("This Idempotency-Key was used with a different request.")) from None
            if record.status_code is None:
                raise Conflict(_("A request with this Idempotency-Key is still being processed.")) from None
            replay = Response(json.loads(bytes(record.response_body)), status=record.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(self, request, *args, **kwargs)
        except BaseException:
            record.delete()  # a failed attempt may be retried with the same key
            raise
        if response.status_code >= 500:
            record.delete()
            return response
        body = json.dumps(response.data, default=str).encode()
        IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=response.status_code, response_body=body)
        return response

    return wrapper
