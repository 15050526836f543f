"""/api/marketplaces, /api/marketplace-accounts, /api/sync and /api/listings (users only)."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsTenantUser
from catalog.api import require_tenant
from marketplaces import services
from marketplaces.models import (
    Listing,
    ListingStatus,
    Marketplace,
    MarketplaceAccount,
    SyncJob,
    SyncKind,
    SyncState,
)
from marketplaces.serializers import (
    ListingSerializer,
    MarketplaceAccountInputSerializer,
    MarketplaceAccountSerializer,
    MarketplaceAccountUpdateSerializer,
    MarketplacesOverviewSerializer,
    SyncJobSerializer,
    SyncRequestSerializer,
)
from meschain.api.permissions import ModelPermissions
from meschain.api.viewsets import TenantScopedViewSet
from meschain.errors import ValidationFailed

PERMISSIONS = [IsAuthenticated, IsTenantUser, ModelPermissions]
MARKETPLACE_CODES = list(Marketplace.values)
SYNC_KINDS = list(SyncKind.values)
SYNC_STATES = list(SyncState.values)
LISTING_STATUSES = list(ListingStatus.values)


def _id_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationFailed(details={name: [_("Give a whole number.")]})
    return int(raw)


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() not in ("true", "false", "1", "0"):
        raise ValidationFailed(details={name: [_("Use true or false.")]})
    return raw.lower() in ("true", "1")


def _text_param(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if "\x00" in raw or len(raw) > 200:  # PostgreSQL text cannot hold NUL
        raise ValidationFailed(details={name: [_("Not a valid value.")]})
    return raw


def _choice_param(request: Request, name: str, choices: list[str]) -> str | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw not in choices:
        raise ValidationFailed(
            details={name: [_("Choose one of: %(values)s") % {"values": ", ".join(choices)}]}
        )
    return raw


@extend_schema(tags=["marketplaces"])
class MarketplaceOverviewViewSet(TenantScopedViewSet):
    queryset = MarketplaceAccount.objects.order_by("name", "id")
    serializer_class = MarketplacesOverviewSerializer
    permission_classes = PERMISSIONS
    pagination_class = None

    @extend_schema(responses={200: MarketplacesOverviewSerializer})
    def overview(self, request: Request) -> Response:
        accounts = list(self.get_queryset())
        health = services.account_health(accounts)
        return Response(
            {
                "marketplaces": services.supported_marketplaces(),
                "accounts": MarketplaceAccountSerializer(
                    accounts, many=True, context={"health": health}
                ).data,
            }
        )


@extend_schema(tags=["marketplaces"])
class MarketplaceAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    queryset = MarketplaceAccount.objects.all()
    serializer_class = MarketplaceAccountSerializer
    permission_classes = PERMISSIONS

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        if self.action == "list":
            marketplace = _choice_param(self.request, "marketplace", MARKETPLACE_CODES)
            if marketplace:
                queryset = queryset.filter(marketplace=marketplace)
            active = _bool_param(self.request, "is_active")
            if active is not None:
                queryset = queryset.filter(is_active=active)
        return queryset.order_by("name", "id")

    @extend_schema(
        parameters=[
            OpenApiParameter("marketplace", str, enum=MARKETPLACE_CODES, required=False),
            OpenApiParameter("is_active", bool, required=False),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        health = services.account_health(page)
        data = MarketplaceAccountSerializer(page, many=True, context={"health": health}).data
        return self.get_paginated_response(data)

    @extend_schema(request=MarketplaceAccountInputSerializer, responses={201: MarketplaceAccountSerializer})
    def create(self, request: Request) -> Response:
        form = MarketplaceAccountInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        require_tenant(request)
        account = services.connect_account(tenant=request.user.tenant, actor=request.user, **data)
        response = Response(MarketplaceAccountSerializer(account).data, status=status.HTTP_201_CREATED)
        response.message = _("Marketplace account connected.")
        return response

    @extend_schema(request=MarketplaceAccountUpdateSerializer, responses={200: MarketplaceAccountSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        form = MarketplaceAccountUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        account = services.update_account(account, actor=request.user, changes=dict(form.validated_data))
        return Response(MarketplaceAccountSerializer(account).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.delete_account(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["marketplaces"])
class SyncJobViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, TenantScopedViewSet):
    queryset = SyncJob.objects.select_related("account")
    serializer_class = SyncJobSerializer
    permission_classes = PERMISSIONS

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        if self.action == "list":
            account = _id_param(self.request, "account")
            if account is not None:
                queryset = queryset.filter(account_id=account)
            kind = _choice_param(self.request, "kind", SYNC_KINDS)
            if kind:
                queryset = queryset.filter(kind=kind)
            state = _choice_param(self.request, "state", SYNC_STATES)
            if state:
                queryset = queryset.filter(state=state)
        return queryset.order_by("-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("account", int, required=False),
            OpenApiParameter("kind", str, enum=SYNC_KINDS, required=False),
            OpenApiParameter("state", str, enum=SYNC_STATES, required=False),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=SyncRequestSerializer,
        responses={202: SyncJobSerializer},
        parameters=[
            OpenApiParameter("marketplace", OpenApiTypes.STR, OpenApiParameter.PATH, enum=MARKETPLACE_CODES)
        ],
    )
    def create(self, request: Request, marketplace: str) -> Response:
        services.spec_of(marketplace)  # an unknown marketplace is a 404
        form = SyncRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        account = services.accounts_visible_to(request.user).filter(pk=form.validated_data["account"]).first()
        if account is None:
            raise ValidationFailed(details={"account": [_("No such marketplace account.")]})
        if account.marketplace != marketplace:
            raise ValidationFailed(
                details={
                    "account": [
                        _("This account is on %(name)s.") % {"name": account.get_marketplace_display()}
                    ]
                }
            )
        job = services.request_sync(account, form.validated_data["kind"], actor=request.user)
        response = Response(SyncJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        response.message = _("Sync queued.")
        return response


@extend_schema(tags=["marketplaces"])
class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    queryset = Listing.objects.select_related("variant")
    serializer_class = ListingSerializer
    permission_classes = PERMISSIONS

    def get_queryset(self) -> QuerySet:
        if self.action != "list":
            return super().get_queryset()
        params = self.request
        return services.listings_visible_to(
            self.request.user,
            account_id=_id_param(params, "account"),
            status=_choice_param(params, "status", LISTING_STATUSES),
            has_error=_bool_param(params, "has_error"),
            sku=_text_param(params, "sku"),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("account", int, required=False),
            OpenApiParameter("status", str, enum=LISTING_STATUSES, required=False),
            OpenApiParameter("has_error", bool, required=False),
            OpenApiParameter("sku", str, required=False),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
