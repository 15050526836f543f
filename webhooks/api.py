"""/api/webhooks: storefront webhook endpoints, test sends and the delivery log."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsTenantUser
from meschain.api.permissions import ModelPermissions
from meschain.api.viewsets import TenantScopedViewSet
from meschain.errors import ValidationFailed
from webhooks import services
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)


@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantScopedViewSet,
):
    queryset = WebhookEndpoint.objects.order_by("-id")
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsAuthenticated, IsTenantUser, ModelPermissions]

    @extend_schema(request=WebhookEndpointInputSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request: Request) -> Response:
        form = WebhookEndpointInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if request.user.tenant_id is None:
            self.permission_denied(
                request, message=_("Webhooks belong to a tenant; log in as one of its users.")
            )
        endpoint, secret = services.create_endpoint(
            tenant=request.user.tenant,
            url=form.validated_data["url"],
            event_types=form.validated_data.get("event_types", []),
            description=form.validated_data.get("description", ""),
            actor=request.user,
        )
        data = {**WebhookEndpointSerializer(endpoint).data, "secret": secret}
        response = Response(data, status=status.HTTP_201_CREATED)
        response.message = _("Webhook endpoint created. Store the secret now: it is not shown again.")
        return response

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses={200: WebhookEndpointSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        form = WebhookEndpointUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = services.update_endpoint(endpoint, actor=request.user, changes=dict(form.validated_data))
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.delete_endpoint(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        delivery = services.send_test(endpoint, actor=request.user)
        delivery = WebhookDelivery.objects.prefetch_related("attempts").get(pk=delivery.pk)
        response = Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
        response.message = _("Test delivery queued.")
        return response

    @extend_schema(
        responses={200: WebhookDeliverySerializer(many=True)},
        parameters=[OpenApiParameter("state", str, enum=list(DeliveryState.values), required=False)],
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        queryset: QuerySet = endpoint.deliveries.prefetch_related("attempts").order_by("-id")
        state = request.query_params.get("state")
        if state:
            if state not in DeliveryState.values:
                raise ValidationFailed(
                    details={
                        "state": [
                            _("Choose one of: %(states)s") % {"states": ", ".join(DeliveryState.values)}
                        ]
                    }
                )
            queryset = queryset.filter(state=state)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
