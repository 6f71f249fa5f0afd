"""Create the demo root CA and a signing certificate for every issuing body (documents then carry 演示文件)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from admission.documents.pki import ROOT_FILE, issue_demo_certificates, issuing_organizations


class Command(BaseCommand):
    help = "Create a demo root CA and a PKCS#12 signing key per issuing body under ADMISSION_SIGNING_KEYS_DIR."

    def handle(self, *args, **options):
        keys_dir = Path(settings.ADMISSION_SIGNING_KEYS_DIR)
        created = issue_demo_certificates(
            keys_dir=keys_dir, organizations=issuing_organizations(), ca_dir=Path(settings.ADMISSION_DEMO_CA_DIR)
        )
        self.stdout.write(f"演示根证书：{keys_dir / ROOT_FILE}；新建签章证书 {len(created)} 个。")
