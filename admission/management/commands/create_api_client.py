"""Give another system (a power-list system, the one-network platform) a client of the open API that reads as one
organization: prints its client id and secret once (docs/api.md)."""

from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import Application

from admission.models import Organization
from admission.services.api_clients import create_api_client, scopes_of


class Command(BaseCommand):
    help = "Create an OAuth2 client (client credentials) of the API for one organization; prints id and secret once."

    def add_arguments(self, parser):
        parser.add_argument("--organization", type=int, required=True, help="the organization's id (admin)")
        parser.add_argument("--name", required=True, help="the system's name, e.g. 阿荣旗权责清单系统")
        parser.add_argument(
            "--write",
            action="store_true",
            help="the system may also act for the organization (scope cases:write), e.g. record its review opinion",
        )

    def handle(self, *args, organization: int, name: str, write: bool = False, **options):
        body = Organization.objects.filter(pk=organization).first()
        if body is None:
            raise CommandError(f"没有编号为 {organization} 的单位。")
        client_id, secret = create_api_client(organization=body, name=name, may_write=write)
        self.stdout.write(f"{body.name}：接口客户端“{name}”\n  client_id     {client_id}\n  client_secret {secret}")
        self.stdout.write(f"  scopes        {' '.join(scopes_of(Application.objects.get(client_id=client_id).user))}")
        self.stdout.write("密钥只显示这一次，请通过安全渠道交付对方系统。")
