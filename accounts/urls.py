from django.urls import path

from accounts.api import LoginView, LogoutView, RefreshView, UserViewSet

user_list = UserViewSet.as_view({"get": "list", "post": "create"})
user_detail = UserViewSet.as_view({"get": "retrieve", "put": "update", "patch": "update"})

urlpatterns = [
    path("auth/login", LoginView.as_view(), name="auth-login"),
    path("auth/refresh", RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", LogoutView.as_view(), name="auth-logout"),
    path("users", user_list, name="user-list"),
    path("users/me", UserViewSet.as_view({"get": "me"}), name="user-me"),
    path("users/<int:pk>", user_detail, name="user-detail"),
    path("users/<int:pk>/permissions", UserViewSet.as_view({"post": "permissions"}), name="user-permissions"),
]
