"""Benchmark the document pipeline (number, render as PDF/A with the bilingual seal and the font fallback chain,
sign, OFD, store) against bare WeasyPrint rendering of the same HTML (plain PDF, no PDF/A).

    .venv/bin/python bench/documents.py [--runs 20]

Sets up a throwaway SQLite database with the Arun Banner demo in a temporary directory, then for an admission
decision: `--runs` warm pipeline runs in one process, one cold-process run, and bare WeasyPrint rendering of the
same HTML. Prints medians and p95s.

The tasks a document sets off besides itself (telling its recipients: in-app notices, e-mails, group robots) go to a
broker, as in production: Redis at 127.0.0.1:6379, database 14, emptied afterwards (`--broker-url` to change it).
`--in-process` runs them inside the pipeline instead, as the embedded default without a broker does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(var_dir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        ADMISSION_VAR_DIR=var_dir,
        ADMISSION_RENDER_ON_COMMIT="0",
        LOG_LEVEL="WARNING",
    )
    # The GB 2312 cuts of the fonts are made once for the checkout (var/fonts), not for each throwaway var dir.
    os.environ.setdefault("ADMISSION_FONT_DIR", str(ROOT / "var" / "fonts"))
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def prepare(var_dir: str) -> None:
    """Migrate and seed once; documents stay pending (--no-render), which keeps setup short."""
    setup_django(var_dir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("prepare_fonts", verbosity=0)
    call_command("seed_demo", "--no-render", verbosity=0)


def purge_broker() -> int:
    """Drop what the run queued: no worker consumes this broker's database."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return 0
    from config.celery import app

    return app.control.purge() or 0


def pipeline_once():
    from admission.documents import content
    from admission.models import ApprovalStage, DutyRequest, RequestState
    from admission.services import rendering
    from admission.services.documents import issue_document

    request = DutyRequest.objects.filter(state=RequestState.ADMITTED, track="regular").order_by("pk").first()
    decision = request.approval_decisions.get(stage=ApprovalStage.CITY_APPROVAL)
    start = time.perf_counter()
    document = issue_document(
        draft=content.admission_decision(duty_request=request, decision=decision),
        duty_request=request,
        actor=decision.recorded_by,
    )
    rendering.render_document(document.pk)
    elapsed = time.perf_counter() - start
    document.refresh_from_db()
    assert document.render_status == "rendered", document.render_error
    return elapsed, document


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cold", metavar="VAR_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--in-process", action="store_true", help="run the announcement tasks in the pipeline")
    args = parser.parse_args()
    if not args.cold:  # the cold child inherits the parent's choice through the environment
        if args.in_process:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = args.broker_url

    if args.cold:  # child process: one pipeline run from a cold start
        started = time.perf_counter()
        setup_django(args.cold)
        elapsed, _document = pipeline_once()
        print(f"{elapsed:.4f} {time.perf_counter() - started:.4f}")
        return

    with tempfile.TemporaryDirectory() as var_dir:
        t0 = time.perf_counter()
        prepare(var_dir)
        print(f"setup (migrate + demo data, no rendering): {time.perf_counter() - t0:.1f} s")
        if not args.in_process:
            from admission.tasks import broker_ready

            ready, why = broker_ready()
            if not ready:
                raise SystemExit(f"{why}: start Redis, or measure with --in-process")
        from weasyprint import HTML

        from admission.documents.ofd import pdf_to_ofd
        from admission.documents.render import document_html, render_pdf_with_objects
        from admission.documents.signing import get_signer

        pipeline_once()  # warm-up: imports, fonts, key loading
        _elapsed, document = pipeline_once()
        html = document_html(document, demo=get_signer().is_demo(document.issuer))
        signer = get_signer()
        # Interleaved, one of each in turn: on a shared machine the load drifts between runs, not within a turn.
        pipeline: list[float] = []
        bare: list[float] = []
        # This process's CPU time beside the wall time: what the other work on a shared machine moves least (it
        # leaves out the pipeline's waits for the disk, which the wall time counts).
        pipeline_cpu: list[float] = []
        bare_cpu: list[float] = []
        stages: dict[str, list[float]] = {"render PDF/A": [], "sign": [], "OFD": []}
        for _ in range(args.runs):
            cpu = time.process_time()
            pipeline.append(pipeline_once()[0])
            pipeline_cpu.append(time.process_time() - cpu)
            start, cpu = time.perf_counter(), time.process_time()
            HTML(string=html, base_url=str(ROOT)).write_pdf()
            bare.append(time.perf_counter() - start)
            bare_cpu.append(time.process_time() - cpu)
            start = time.perf_counter()
            rendered = render_pdf_with_objects(html)
            stages["render PDF/A"].append(time.perf_counter() - start)
            start = time.perf_counter()
            signer.sign(rendered.pdf, issuer=document.issuer)
            stages["sign"].append(time.perf_counter() - start)
            start = time.perf_counter()
            pdf_to_ofd(
                rendered.written, title=document.title, author="", code=document.verification_code, number="", date=""
            )
            stages["OFD"].append(time.perf_counter() - start)
        cold = subprocess.run(
            [sys.executable, __file__, "--cold", var_dir], capture_output=True, text=True, check=True
        ).stdout.split()
        purged = purge_broker()

    median_pipeline, median_bare = statistics.median(pipeline), statistics.median(bare)
    print(f"runs: {args.runs} (admission decision, {len(html)} characters of HTML)")
    if args.in_process:
        print("announcements: run in the pipeline's process (the embedded default, no broker)")
    else:
        print(f"announcements: queued on {args.broker_url} as in production ({purged} messages dropped afterwards)")
    print(
        f"pipeline (number + PDF/A render + seal + sign + OFD + store): median {median_pipeline:.3f} s, "
        f"p95 {p95(pipeline):.3f} s"
    )
    print(f"bare WeasyPrint render of the same HTML (plain PDF): median {median_bare:.3f} s, p95 {p95(bare):.3f} s")
    for stage, times in stages.items():
        print(f"  stage {stage}: median {statistics.median(times):.3f} s")
    print(f"pipeline / bare: {median_pipeline / median_bare:.2f}x")
    cpu_pipeline, cpu_bare = statistics.median(pipeline_cpu), statistics.median(bare_cpu)
    print(
        f"CPU time (this process): pipeline median {cpu_pipeline:.3f} s, bare {cpu_bare:.3f} s, {cpu_pipeline / cpu_bare:.2f}x"
    )
    print(f"cold process: pipeline {float(cold[0]):.3f} s, including Django setup and imports {float(cold[1]):.3f} s")


if __name__ == "__main__":
    main()
