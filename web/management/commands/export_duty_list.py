"""Export one township's duty list: manage.py export_duty_list --township 150721100 --format xlsx --output FILE."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from admission.models import DutyStatus, Organization, OrganizationKind
from admission.selectors import list_of_township
from web.exports import duty_list_file


class Command(BaseCommand):
    help = "Export a township's duty list (履行职责事项清单) as .xlsx or .pdf."

    def add_arguments(self, parser):
        parser.add_argument("--township", required=True, help="the township's division code, e.g. 150721100")
        parser.add_argument("--format", choices=("xlsx", "pdf"), default="xlsx")
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--exited", action="store_true", help="the duties taken back (上级部门收回事项)")

    def handle(self, *args, township: str, format: str, output: Path, exited: bool, **options):
        org = Organization.objects.filter(kind=OrganizationKind.TOWNSHIP, division_code=township).first()
        if org is None:
            raise CommandError(f"no township with division code {township}")
        duties = list_of_township(township=org, state=DutyStatus.EXITED if exited else DutyStatus.ACTIVE)
        title = f"{org.name}{'上级部门收回事项' if exited else '履行职责事项清单'}"
        body, _content_type = duty_list_file(duties=duties, title=title, format=format)
        output.write_bytes(body)
        self.stdout.write(f"{org.name}: {len(duties)} duties → {output}")
