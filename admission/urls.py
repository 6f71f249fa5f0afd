from django.urls import path

from . import document_views, duty_views, report_views, views

app_name = "admission"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("duties/", duty_views.duty_list, name="duty_list"),
    path("duties/<int:pk>/", duty_views.duty_detail, name="duty_detail"),
    path("duties/<int:pk>/exit/", duty_views.propose_change, {"purpose": "exit"}, name="propose_exit"),
    path("duties/<int:pk>/adjust/", duty_views.propose_change, {"purpose": "adjustment"}, name="propose_adjustment"),
    path("duties/<int:pk>/deliveries/", duty_views.record_delivery, name="record_delivery"),
    path("deliveries/<int:pk>/confirm/", duty_views.confirm_delivery, name="confirm_delivery"),
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/new/", report_views.report_create, name="report_create"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("notifications/", views.notifications, name="notifications"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("documents/", document_views.document_list, name="document_list"),
    path("documents/<int:pk>/", document_views.document_download, name="document_download"),
]
