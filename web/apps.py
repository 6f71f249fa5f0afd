from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from oauth2_provider.apps import DOTConfig


class WebConfig(AppConfig):
    """The pages: views, forms, URLs, exports, template tags and static files. Nothing below imports from here."""

    name = "web"

    def ready(self):
        from . import audit, identity  # noqa: F401  (connect the security-event and sign-in receivers)


class ApiClientsConfig(DOTConfig):
    """django-oauth-toolkit (the API's client-credentials tokens, issue 15) under a Chinese heading in the admin."""

    verbose_name = _("接口客户端与令牌")
