"""Account pages under /admin/, routed before the admin site's own URLs: the two-step
login, password change and reset, two-factor authentication and the user's sessions.
The password reset URL names are the ones Django's admin and auth templates link to."""

from django.contrib import admin
from django.urls import path

from accounts import admin_account, admin_login, admin_store, admin_two_factor

site = admin.site

urlpatterns = [
    path("login/", admin_login.login, name="admin-login"),
    path("login/code/", admin_login.LoginCodeView.as_view(), name="admin-login-code"),
    path("password_change/", site.admin_view(admin_account.password_change), name="admin-password-change"),
    path("password_reset/", admin_account.password_reset, name="admin_password_reset"),
    path("password_reset/done/", admin_account.password_reset_done, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", admin_account.password_reset_confirm, name="password_reset_confirm"),
    path("reset/done/", admin_account.password_reset_complete, name="password_reset_complete"),
    path("account/two-factor/", site.admin_view(admin_two_factor.overview), name="account-two-factor"),
    path("account/two-factor/setup/", site.admin_view(admin_two_factor.setup), name="account-two-factor-setup"),
    path(
        "account/two-factor/recovery-codes/",
        site.admin_view(admin_two_factor.regenerate_codes),
        name="account-recovery-codes",
    ),
    path("account/two-factor/off/", site.admin_view(admin_two_factor.disable), name="account-two-factor-off"),
    path(
        "account/two-factor/requirement/",
        site.admin_view(admin_two_factor.requirement),
        name="account-two-factor-requirement",
    ),
    path("account/sessions/", site.admin_view(admin_account.my_sessions), name="account-sessions"),
    path("account/store/", site.admin_view(admin_store.store_settings), name="account-store-settings"),
]
