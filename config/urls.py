from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from admission import document_views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("tasks/", include("workflows.urls")),
    path("verify/", document_views.verify_document, name="verify_upload"),
    path("verify/<str:code>/", document_views.verify_document, name="verify_document"),
    path("", include("admission.urls")),
]
