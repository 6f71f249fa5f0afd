"""The project's URLs plus one page that fails, for the 500 page test (tests/test_operations.py)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from config.urls import handler400, handler500  # noqa: F401 - looked up here
from config.urls import urlpatterns as project_urlpatterns


@login_not_required
def fails(request):
    raise RuntimeError("测试用的故障")


urlpatterns = [path("fails/", fails), *project_urlpatterns]
