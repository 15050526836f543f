from django.urls import path

from orders.api import OrderViewSet

urlpatterns = [
    path("orders", OrderViewSet.as_view({"get": "list", "post": "create"}), name="order-list"),
    path("orders/import", OrderViewSet.as_view({"post": "import_orders"}), name="order-import"),
    path("orders/<int:pk>", OrderViewSet.as_view({"get": "retrieve"}), name="order-detail"),
    path("orders/<int:pk>/status", OrderViewSet.as_view({"put": "set_status"}), name="order-status"),
    path("orders/<int:pk>/events", OrderViewSet.as_view({"get": "events"}), name="order-events"),
    path("orders/<int:pk>/notes", OrderViewSet.as_view({"post": "notes"}), name="order-notes"),
]
