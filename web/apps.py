from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages: views, forms, URLs, exports, template tags and static files. Nothing below imports from here."""

    name = "web"

    def ready(self):
        from . import audit  # noqa: F401  (connects the security-event receivers)
