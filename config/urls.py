from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from web import health
from web.views import identity

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
