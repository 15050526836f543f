from django.urls import path

from onec.api import OneCExchangeViewSet

urlpatterns = [
    path("onec-accounts", OneCExchangeViewSet.as_view({"get": "list", "post": "create"}), name="onec-account-list"),
    path(
        "onec-accounts/<int:pk>",
        OneCExchangeViewSet.as_view({"get": "retrieve", "put": "update", "patch": "update"}),
        name="onec-account-detail",
    ),
    path("onec-accounts/<int:pk>/disable", OneCExchangeViewSet.as_view({"post": "disable"}), name="onec-account-disable"),
]
