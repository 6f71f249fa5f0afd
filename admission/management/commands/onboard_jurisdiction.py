"""Put a banner (旗县) on the platform from one file: its bodies, townships with their division codes, departments
and first users (CSV or YAML; templates in docs/onboarding/). Idempotent: a second run adds nothing. Every problem is
reported with its line before anything is written; the first users' initial passwords are printed once.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from admission.onboarding import OnboardingFileError, read
from admission.services.setup import OnboardingConflict, onboard_jurisdiction


class Command(BaseCommand):
    help = "On-board a banner from a CSV or YAML file (bodies, townships, departments, first users); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the banner's file (.csv, .yaml or .yml)")
        parser.add_argument("--check", action="store_true", help="only check the file; write nothing")

    def handle(self, *args, file: Path, check: bool, **options):
        try:
            banner = read(file)
            if check:
                self.stdout.write(
                    f"{file.name}：检查通过（{banner.name}，乡镇 {len(banner.townships)} 个，部门 "
                    f"{len(banner.departments)} 个，用户 {len(banner.users)} 个）"
                )
                return
            result = onboard_jurisdiction(banner=banner)
        except (OnboardingFileError, OnboardingConflict) as error:
            raise CommandError(f"{file.name} 未导入，请修改后重试：\n" + "\n".join(error.messages)) from error
        if not result.created:
            self.stdout.write(f"{result.jurisdiction.name}：与文件一致，无需变更。")
            return
        self.stdout.write(f"{result.jurisdiction.name}：新增 {len(result.created)} 项")
        for line in result.created:
            self.stdout.write(f"  {line}")
        if result.passwords:
            self.stdout.write("首批用户的初始密码（只显示这一次，请当面交付；首次登录须修改）：")
            for username, password in result.passwords.items():
                self.stdout.write(f"  {username}\t{password}")
