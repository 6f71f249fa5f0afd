from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages: views, forms, URLs, exports, template tags and static files. Nothing below imports from here."""

    name = "web"

    def ready(self):
        from . import audit, identity  # noqa: F401  (connect the security-event and sign-in receivers)
