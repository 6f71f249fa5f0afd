"""Cut the Noto CJK faces to GB 2312 once into ADMISSION_FONT_DIR (see admission/documents/fonts.py)."""

from django.core.management.base import BaseCommand

from admission.documents import fonts


class Command(BaseCommand):
    help = "Write the GB 2312 cuts of the Noto CJK faces the documents use into ADMISSION_FONT_DIR (once)."

    def handle(self, *args, **options):
        written = fonts.prepare()
        present = sorted(p.name for p in fonts.font_dir().glob("*.otf"))
        if options["verbosity"]:
            self.stdout.write(f"公文字体：{fonts.font_dir()}，新生成 {len(written)} 个，共 {len(present)}/{len(fonts.FACES)} 个。")
