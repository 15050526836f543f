"""/api/onec-accounts: a tenant's 1C:Enterprise exchange accounts (owners only)."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import IsTenantUser
from catalog.api import require_tenant
from meschain.api.viewsets import TenantScopedViewSet
from onec import services
from onec.models import OneCExchange
from onec.serializers import OneCExchangeInputSerializer, OneCExchangeSerializer


class IsTenantOwner(BasePermission):
    """1C accounts hold a login to the whole catalogue and the orders: owners only."""

    message = _("Only the tenant's owner may manage 1C exchange accounts.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(request.user, "role", None) == Role.OWNER and request.user.tenant_id is not None


@extend_schema(tags=["1c"])
class OneCExchangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    queryset = OneCExchange.objects.all()
    serializer_class = OneCExchangeSerializer
    permission_classes = [IsAuthenticated, IsTenantUser, IsTenantOwner]

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("name", "id")

    def _changes(self, request: Request, *, creating: bool) -> dict[str, Any]:
        form = OneCExchangeInputSerializer(data=request.data, context={"creating": creating})
        form.is_valid(raise_exception=True)
        return dict(form.validated_data)

    @extend_schema(request=OneCExchangeInputSerializer, responses={201: OneCExchangeSerializer})
    def create(self, request: Request) -> Response:
        changes = self._changes(request, creating=True)
        account = services.save_account(require_tenant(request), changes=changes, actor=request.user)
        response = Response(OneCExchangeSerializer(account).data, status=status.HTTP_201_CREATED)
        response.message = _("1C exchange account created.")
        return response

    @extend_schema(request=OneCExchangeInputSerializer, responses={200: OneCExchangeSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        changes = self._changes(request, creating=False)
        account = services.save_account(account.tenant_id, account=account, changes=changes, actor=request.user)
        return Response(OneCExchangeSerializer(account).data)

    @extend_schema(request=None, responses={200: OneCExchangeSerializer})
    def disable(self, request: Request, pk: str | None = None) -> Response:
        """Switch the login off; its id mapping and exchange history stay (PATCH is_active to switch it on)."""
        account = self.get_object()
        account = services.save_account(account.tenant_id, account=account, changes={"is_active": False},
                                        actor=request.user)  # fmt: skip
        response = Response(OneCExchangeSerializer(account).data)
        response.message = _("1C exchange account disabled.")
        return response
