from django.contrib.auth.models import Permission
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Role, Tenant, User, UserStatus
from meschain.api.serializers import StrictSerializer


class TenantSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "slug", "name"]


def user_permissions_prefetch() -> Prefetch:
    """What UserSerializer reads for `permissions`: a user's extra permissions with their
    content types, in one query for any number of users."""
    return Prefetch("user_permissions", queryset=Permission.objects.select_related("content_type"))


class UserSerializer(serializers.ModelSerializer):
    tenant = TenantSummarySerializer(read_only=True)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "tenant",
            "role",
            "status",
            "is_superuser",
            "permissions",
            "last_login",
            "date_joined",
        ]
        read_only_fields = fields

    def get_permissions(self, user: User) -> list[str]:
        """Extra permissions granted to this user on top of the role."""
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in user.user_permissions.all())


class LoginSerializer(StrictSerializer):
    username = serializers.CharField(required=False, max_length=254, help_text=_("Username or email."))
    email = serializers.CharField(required=False, max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text=_(
            "For a user with two-factor authentication on: the 6-digit code from the "
            "authenticator app, or a recovery code."
        ),
    )

    def validate(self, attrs: dict) -> dict:
        identifier = attrs.get("username") or attrs.get("email")
        if not identifier:
            raise serializers.ValidationError({"username": [_("Give a username or an email.")]})
        attrs["identifier"] = identifier
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=4096)


class AccessTokenSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class UserCreateSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)


class UserUpdateSerializer(StrictSerializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False)
    status = serializers.ChoiceField(choices=UserStatus.choices, required=False)


class UserAccessSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        max_length=500,
        help_text=_("Extra permissions as app_label.codename; replaces the current set."),
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(_("Give a role, permissions, or both."))
        return attrs
