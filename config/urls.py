from django.contrib import admin
from django.urls import include, path

from web import health
from web.views import identity, sso

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", sso.LoginView.as_view(), name="login"),
    path("accounts/logout/", sso.LogoutView.as_view(), name="logout"),
    # Single sign-on through the 统一身份认证 platform (404 unless configured; web/oidc.py).
    path("accounts/sso/login/", sso.platform_login, name="oidc_authentication_init"),
    path("accounts/sso/callback/", sso.platform_callback, name="oidc_authentication_callback"),
    path("accounts/password/", identity.PasswordChange.as_view(), name="password_change"),
    path("accounts/second-factor/", identity.second_factor, name="second_factor"),
    path("accounts/second-factor/verify/", identity.second_factor_verify, name="second_factor_verify"),
    path("accounts/second-factor/enrol/", identity.second_factor_enrol, name="second_factor_enrol"),
    path("accounts/second-factor/remove/", identity.second_factor_remove, name="second_factor_remove"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
]

# 403 and 404 are Django's views with templates/403.html and 404.html. The 400 and 500 pages are rendered without
# context processors (the user may not be known yet; the database may be what failed) and carry the request id.
handler400 = "web.request_id.bad_request"
handler500 = "web.request_id.server_error"
