"""Auth and user endpoints. Thin: validate, call accounts.services, serialize."""

from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed as DrfAuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.permissions import IsTenantUser
from accounts.serializers import (
    AccessTokenSerializer,
    LoginSerializer,
    RefreshSerializer,
    TokenPairSerializer,
    UserAccessSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
    user_permissions_prefetch,
)
from meschain.api.viewsets import TenantScopedViewSet

_Message = inline_serializer("Empty", fields={})


def _with_message(response: Response, message: str) -> Response:
    response.message = message
    return response


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=LoginSerializer,
        responses={200: TokenPairSerializer},
        auth=[],
        summary="Log in with username or email and password; get a JWT pair.",
        description=(
            "A user with two-factor authentication on also sends `otp_code`: without it the "
            "answer is 401 `OTP_REQUIRED`, with a wrong one 401 `OTP_INVALID` (a failed login, "
            "counted towards the lockout). A user whose organisation requires two-factor "
            "authentication and who has not set it up gets 403 `TWO_FACTOR_SETUP_REQUIRED`."
        ),
    )
    def post(self, request: Request) -> Response:
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = services.login(
            request._request,
            identifier=form.validated_data["identifier"],
            password=form.validated_data["password"],
            otp_code=form.validated_data.get("otp_code") or None,
        )
        refresh = RefreshToken.for_user(user)
        prefetch_related_objects([user], user_permissions_prefetch())  # the row itself is loaded
        data = {
            "access": str(refresh.access_token),
            "refresh": str(refresh),
            "user": UserSerializer(user).data,
        }
        return _with_message(Response(data), _("Logged in."))


class RefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=RefreshSerializer,
        responses={200: AccessTokenSerializer},
        auth=[],
        summary="Exchange a refresh token for a new access and refresh token.",
    )
    def post(self, request: Request) -> Response:
        form = RefreshSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            pair = services.rotate_refresh_token(form.validated_data["refresh"])
        except services.AuthenticationFailed as exc:
            raise DrfAuthenticationFailed(exc.message) from exc
        return Response(pair)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated, IsTenantUser]

    @extend_schema(
        tags=["auth"],
        request=RefreshSerializer,
        responses={200: OpenApiResponse(_Message)},
        summary="Revoke a refresh token (log out).",
    )
    def post(self, request: Request) -> Response:
        form = RefreshSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.logout(refresh_token=form.validated_data["refresh"], actor=request.user)
        return _with_message(Response({}), _("Logged out."))


@extend_schema(tags=["users"])
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantScopedViewSet,
):
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, IsTenantUser]
    filterset_fields = ["role", "status"]

    def get_queryset(self) -> QuerySet:
        return (
            services.users_visible_to(self.request.user)
            .prefetch_related(user_permissions_prefetch())
            .order_by("username")
        )

    def _require_view(self) -> None:
        if not self.request.user.has_perm("accounts.view_user"):
            self.permission_denied(self.request, message=_("You may not see other users."))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_view()
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        if user.pk != request.user.pk:
            self._require_view()
        return Response(self.get_serializer(user).data)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request: Request) -> Response:
        form = UserCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if request.user.tenant is None:
            self.permission_denied(request, message=_("Platform users create users through the admin."))
        user = services.create_user(tenant=request.user.tenant, actor=request.user, **form.validated_data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        form = UserUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        # Serialize the service's result: a user just marked deleted is no longer
        # visible through get_object(), but the change did happen.
        user = services.update_user(user, actor=request.user, changes=form.validated_data)
        return _with_message(Response(self.get_serializer(user).data), _("User updated."))

    @extend_schema(request=UserAccessSerializer, responses={200: UserSerializer})
    @action(detail=True, methods=["post"], url_path="permissions")
    def permissions(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        form = UserAccessSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.set_user_access(user, actor=request.user, **form.validated_data)
        return _with_message(
            Response(self.get_serializer(self.get_object()).data), _("Role and permissions updated.")
        )

    @extend_schema(responses={200: UserSerializer})
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request: Request) -> Response:
        # The authenticated user is already loaded (with its tenant): only its extra
        # permissions are missing, not a second copy of the row.
        user = request.user
        prefetch_related_objects([user], user_permissions_prefetch())
        return Response(self.get_serializer(user).data)
