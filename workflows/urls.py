from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("", views.task_list, {"box": "inbox"}, name="inbox"),
    path("queue/", views.task_list, {"box": "queue"}, name="queue"),
    path("archive/", views.task_list, {"box": "archive"}, name="archive"),
    path("<int:pk>/", views.execute_task, name="execute"),
    path("<int:pk>/claim/", views.claim_task, name="claim"),
    path("<int:pk>/release/", views.release_task, name="release"),
]
