"""Cut the Noto CJK faces to GB 2312 once into ADMISSION_FONT_DIR (see admission/documents/fonts.py)."""

import threading
import time

from django.core.management.base import BaseCommand

from admission.documents import fonts

HEARTBEAT_SECONDS = 15


class Command(BaseCommand):
    help = "Write the GB 2312 cuts of the Noto CJK faces the documents use into ADMISSION_FONT_DIR (once)."

    def handle(self, *args, **options):
        verbose = options["verbosity"] > 0
        if verbose:
            self.stdout.write(
                f"公文字体：把 {len(fonts.FACES)} 个 Noto CJK 字体裁切到 GB 2312，存入 {fonts.font_dir()}"
                "（每个约 20 秒，机器繁忙时更久；只做一次）。"
            )
        step = {"message": "", "since": time.monotonic()}
        done = threading.Event()

        def progress(message: str) -> None:
            step.update(message=message, since=time.monotonic())
            if verbose:
                self.stdout.write(message)
                self.stdout.flush()

        def heartbeat() -> None:
            """A step (writing a face) can take minutes on a busy machine: say it is still going."""
            while not done.wait(HEARTBEAT_SECONDS):
                if verbose and step["message"].endswith("……"):
                    self.stdout.write(f"{step['message'].rstrip('…')}（已 {time.monotonic() - step['since']:.0f} 秒）")
                    self.stdout.flush()

        ticker = threading.Thread(target=heartbeat, daemon=True)
        ticker.start()
        try:
            written = fonts.prepare(progress=progress)
        finally:
            done.set()
            ticker.join()
        present = sorted(p.name for p in fonts.font_dir().glob("*.otf"))
        if verbose:
            self.stdout.write(f"公文字体：新生成 {len(written)} 个，共 {len(present)}/{len(fonts.FACES)} 个。")
