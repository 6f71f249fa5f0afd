"""Register the product as a client of the test platform, and the platform's accounts (one password for all)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument("--redirect-uri", required=True)
        parser.add_argument("--post-logout-redirect-uri", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("usernames", nargs="+")

    def handle(self, *args, **options):
        Application.objects.update_or_create(
            client_id=options["client_id"],
            defaults={
                "name": "乡镇职责准入系统",
                "client_secret": options["client_secret"],
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                "algorithm": Application.RS256_ALGORITHM,
                "redirect_uris": options["redirect_uri"],
                "post_logout_redirect_uris": options["post_logout_redirect_uri"],
                "skip_authorization": False,
            },
        )
        users = get_user_model().objects
        for username in options["usernames"]:
            user, _created = users.get_or_create(username=username)
            user.set_password(options["password"])
            user.save()
