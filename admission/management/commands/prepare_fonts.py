"""Cut the Noto CJK faces to GB 2312 once into ADMISSION_FONT_DIR (see admission/documents/fonts.py)."""

from django.core.management.base import BaseCommand

from admission.documents import fonts


class Command(BaseCommand):
    help = "Write the GB 2312 cuts of the Noto CJK faces the documents use into ADMISSION_FONT_DIR (once)."

    def handle(self, *args, **options):
        verbose = options["verbosity"] > 0
        if verbose:
            self.stdout.write(f"公文字体：把 {len(fonts.FACES)} 个 Noto CJK 字体裁切到 GB 2312，存入 {fonts.font_dir()}"
                              "（每个约 20 秒，只做一次）。")

        def progress(message: str) -> None:
            if verbose:
                self.stdout.write(message)
                self.stdout.flush()

        written = fonts.prepare(progress=progress)
        present = sorted(p.name for p in fonts.font_dir().glob("*.otf"))
        if verbose:
            self.stdout.write(f"公文字体：新生成 {len(written)} 个，共 {len(present)}/{len(fonts.FACES)} 个。")
