"""Subscribe an API client's system to the platform's events (docs/webhooks.md), as the admin does: prints the
signing secret once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import Application

from admission.models import WebhookEventType
from admission.services.webhooks import create_subscription


class Command(BaseCommand):
    help = "Subscribe an API client to webhook events; prints the signing secret once (docs/webhooks.md)."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True, help="the API client's client_id (create_api_client)")
        parser.add_argument("--url", required=True, help="the receiver's https address")
        parser.add_argument(
            "--event",
            action="append",
            choices=WebhookEventType.values,
            help="an event to send (repeat for several; all when left out)",
        )

    def handle(self, *args, client_id: str, url: str, event: list[str] | None, **options):
        client = Application.objects.filter(client_id=client_id).first()
        if client is None:
            raise CommandError(f"没有 client_id 为 {client_id} 的接口客户端。")
        try:
            subscription, secret = create_subscription(
                client=client, url=url, events=event or WebhookEventType.values, actor=None
            )
        except ValidationError as error:
            raise CommandError("；".join(m for ms in error.message_dict.values() for m in ms)) from error
        self.stdout.write(
            f"接口客户端“{client.name}”→ {subscription.url}（{'、'.join(subscription.events)}）\n  签名密钥 {secret}"
        )
        self.stdout.write("密钥只显示这一次，请通过安全渠道交付对方系统（核验方法见 docs/webhooks.md）。")
