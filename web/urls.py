"""Every page's address. Three namespaces: "admission" for cases, duties, reports and documents; "workflows" for tasks;
"public" for the duty lists anyone may read without login."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider.views import TokenView
from rest_framework.permissions import AllowAny

from admission.models import RequestPurpose

from . import api
from .views import cases, documents, duties, habits, notices, oversight, public, reports, tasks

case_patterns = [
    path("", cases.home, name="home"),
    path("requests/", cases.request_list, name="request_list"),
    path("requests/new/", cases.request_create, name="request_create"),
    path("requests/<int:pk>/", cases.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", cases.request_edit, name="request_edit"),
    path("requests/<int:pk>/withdraw/", cases.request_withdraw, name="request_withdraw"),
    path("requests/<int:pk>/comment/", habits.comment, name="request_comment"),
    path("requests/<int:pk>/copy/", habits.copy, name="request_copy"),
    path("requests/<int:pk>/approval-form/", habits.approval_form, name="request_approval_form"),
    path("attachments/<int:pk>/", cases.attachment_download, name="attachment_download"),
    path("notifications/", cases.notifications, name="notifications"),
    path("notifications/read/", notices.mark_read, name="notifications_read"),
    path("notifications/preferences/", notices.preferences, name="notice_preferences"),
    path("duties/", duties.duty_list, name="duty_list"),
    path("duties/<int:pk>/", duties.duty_detail, name="duty_detail"),
    path("duties/<int:pk>/exit/", duties.propose_change, {"purpose": RequestPurpose.EXIT}, name="propose_exit"),
    path(
        "duties/<int:pk>/adjust/",
        duties.propose_change,
        {"purpose": RequestPurpose.ADJUSTMENT},
        name="propose_adjustment",
    ),
    path("duties/<int:pk>/deliveries/", duties.record_delivery, name="record_delivery"),
    path("deliveries/<int:pk>/confirm/", duties.confirm_delivery, name="confirm_delivery"),
    path("reports/", reports.report_list, name="report_list"),
    path("reports/new/", reports.report_create, name="report_create"),
    path("reports/<int:pk>/", reports.report_detail, name="report_detail"),
    path("dashboard/", oversight.dashboard, name="dashboard"),
    path("dashboard/<int:pk>/", oversight.dashboard, name="banner_dashboard"),
    path("region/", oversight.region, name="region"),
    path("documents/", documents.document_list, name="document_list"),
    path("documents/<int:pk>/", documents.document_download, name="document_download"),
    path("documents/<int:pk>/ofd/", documents.document_download, {"ofd": True}, name="document_download_ofd"),
]

task_patterns = [
    path("", tasks.task_list, {"box": "inbox"}, name="inbox"),
    path("queue/", tasks.task_list, {"box": "queue"}, name="queue"),
    path("archive/", tasks.task_list, {"box": "archive"}, name="archive"),
    path("<int:pk>/", tasks.execute_task, name="execute"),
    path("<int:pk>/claim/", tasks.claim_task, name="claim"),
    path("claim/", tasks.claim_tasks, name="claim_many"),
    path("<int:pk>/release/", tasks.release_task, name="release"),
    path("<int:pk>/reassign/", habits.reassign, name="reassign"),
    path("<int:pk>/urge/", habits.urge, name="urge"),
    path("<int:pk>/return/", habits.send_back, name="return"),
]

public_patterns = [
    path("", public.jurisdictions, name="index"),
    path("jurisdictions/<int:pk>/", public.jurisdiction, name="jurisdiction"),
    path("townships/<int:pk>/", public.township, name="township"),
    path("townships/<int:pk>/<str:format>/", public.township, name="township_data"),
]

# The open API answers without a session (login_not_required); each view says who may call it (web/api.py).
api_patterns = [
    path("v1/jurisdictions/", login_not_required(api.JurisdictionList.as_view()), name="jurisdictions"),
    path("v1/jurisdictions/<int:pk>/townships/", login_not_required(api.TownshipList.as_view()), name="townships"),
    path("v1/townships/<int:pk>/duties/", login_not_required(api.TownshipDutyList.as_view()), name="township_duties"),
    path("v1/cases/", login_not_required(api.CaseList.as_view()), name="cases"),
    path("v1/cases/<int:pk>/", login_not_required(api.CaseDetail.as_view()), name="case"),
    path("v1/cases/<int:pk>/data-review/", login_not_required(api.DataReview.as_view()), name="data_review"),
    path(
        "v1/townships/<int:pk>/duty-list/",
        login_not_required(api.TownshipDutyListWithVersions.as_view()),
        name="duty_list",
    ),
    path("v1/documents/", login_not_required(api.DocumentList.as_view()), name="documents"),
    path("v1/documents/<int:pk>/", login_not_required(api.DocumentDetail.as_view()), name="document"),
    path("v1/documents/<int:pk>/pdf/", login_not_required(api.DocumentPDF.as_view()), name="document_pdf"),
    path("v1/documents/<int:pk>/ofd/", login_not_required(api.DocumentOFD.as_view()), name="document_ofd"),
    path("v1/verification/", login_not_required(api.DocumentVerification.as_view()), name="verification"),
    path("v1/verification/<str:code>/", login_not_required(api.DocumentByCode.as_view()), name="verification_code"),
    path("token/", login_not_required(TokenView.as_view()), name="token"),
    path("schema/", login_not_required(SpectacularAPIView.as_view(permission_classes=[AllowAny])), name="schema"),
    path(
        "docs/",
        login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny])),
        name="docs",
    ),
]

urlpatterns = [
    path("api/", include((api_patterns, "api"))),
    path("public/", include((public_patterns, "public"))),
    path("tasks/", include((task_patterns, "workflows"))),
    path("verify/", documents.verify_document, name="verify_upload"),
    path("verify/<str:code>/", documents.verify_document, name="verify_document"),
    path("", include((case_patterns, "admission"))),
]
