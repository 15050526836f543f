from django.urls import path

from webhooks.api import WebhookEndpointViewSet

urlpatterns = [
    path("webhooks", WebhookEndpointViewSet.as_view({"get": "list", "post": "create"}), name="webhook-list"),
    path(
        "webhooks/<int:pk>",
        WebhookEndpointViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}
        ),
        name="webhook-detail",
    ),
    path("webhooks/<int:pk>/test", WebhookEndpointViewSet.as_view({"post": "test"}), name="webhook-test"),
    path(
        "webhooks/<int:pk>/deliveries",
        WebhookEndpointViewSet.as_view({"get": "deliveries"}),
        name="webhook-deliveries",
    ),
]
