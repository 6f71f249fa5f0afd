"""The Celery tasks of the app (config/celery.py finds this module) and the web process's own sweep.

- admission.render_document (services/rendering.py): render, seal, sign and store one document; retried with back-off.
- admission.email_notice (notices.py): e-mail one in-app notice; admission.post_to_robot: post to a group robot.
- admission.announce: tell people of work that arrived (a task, a decision, a document), after its commit.
- admission.sweep_documents: queue every document left unfinished, drop the files kept for a form nobody came back
  to (services/uploads.py); on the scheduler every ADMISSION_RENDER_SWEEP_SECONDS.
- admission.publish_webhook_event, admission.deliver_webhook, admission.sweep_webhooks (services/webhooks.py): the API
  clients' signed webhooks, their retries on the scheduler every 30 seconds.
- admission.daily_reminders: reminders, escalations and expiry prompts, on the scheduler at ADMISSION_REMINDERS_AT
  on working days.
- admission.seal_audit_events: seal audit events still outside the hash chain (a committer gives way to a seal in
  progress, services/audit.py:seal_after_commit); on the scheduler every 10 s, and in the web process's sweep.

Without a broker (the embedded default) there is no scheduler: each web process sweeps (documents, then webhook
retries) after start-up and then every ADMISSION_RENDER_SWEEP_SECONDS, in a background thread started by a request
(never during migrate or tests).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import date

from celery import current_app, shared_task
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from kombu import Producer

from . import notices  # noqa: F401  (registers admission.email_notice with the worker)
from .services import audit, notifications, reminders, rendering, uploads, webhooks

log = logging.getLogger(__name__)


@shared_task(name="admission.sweep_documents", ignore_result=True)
def sweep_documents() -> int:
    uploads.drop_stale_kept_uploads()
    return rendering.sweep()


@shared_task(name="admission.seal_audit_events", ignore_result=True)
def seal_audit_events() -> int:
    return audit.seal_pending_events()


@shared_task(name="admission.daily_reminders", acks_late=True, ignore_result=True)
def daily_reminders(today: str | None = None) -> dict | None:
    """`today` (ISO date) only for a run by hand; the schedule passes nothing and the local date counts."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    run = reminders.daily_run(today=day)
    if run is None:
        log.info("%s is not a working day: no reminders", day)
        return None
    log.info(
        "reminders %d, escalations %d, expired duties %d, problems %d",
        run.reminders,
        run.escalations,
        run.expiries,
        len(run.problems),
    )
    return {
        "reminders": run.reminders,
        "escalations": run.escalations,
        "expiries": run.expiries,
        "problems": run.problems,
    }


def in_process() -> bool:
    """True when tasks run in the process that queues them (no broker configured)."""
    return bool(current_app.conf.task_always_eager)


def broker_ready(timeout: float = 2.0) -> tuple[bool, str]:
    """For /readyz: can this process hand tasks to the workers? Without a broker there is nothing to reach."""
    if in_process():
        return True, "no broker configured: tasks run in-process"
    connection = current_app.connection_for_write()
    where = connection.as_uri()  # the password masked
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as error:  # kombu wraps redis' errors in its own OperationalError
        return False, f"broker {where} unreachable: {error}"
    finally:
        connection.release()
    return True, f"broker {where} reachable"


# The web process's sweep: after start-up, and periodically when there is no scheduler.
_sweeping = threading.Lock()
_last_sweep: float | None = None
_sweep_thread: threading.Thread | None = None


def sweep_from_web() -> bool:
    """Start a sweep in a background thread if one is due in this process; returns whether it started one."""
    global _last_sweep, _sweep_thread
    if not settings.ADMISSION_SWEEP_IN_WEB:
        return False
    now = time.monotonic()
    if _last_sweep is not None and (not in_process() or now - _last_sweep < settings.ADMISSION_RENDER_SWEEP_SECONDS):
        return False
    if not _sweeping.acquire(blocking=False):
        return False
    _last_sweep = now
    _sweep_thread = threading.Thread(target=_sweep_in_background, name="admission-sweep", daemon=True)
    _sweep_thread.start()
    return True


def _sweep_in_background() -> None:
    try:
        # In-process, nothing else renders for this server: what is pending now was cut off (e.g. kill -9).
        rendering.sweep(grace_seconds=0 if in_process() else None)
        uploads.drop_stale_kept_uploads()
        audit.seal_pending_events()
    except Exception:
        log.exception("the document sweep failed")
    try:
        if in_process():  # with a broker, the scheduler sweeps the webhooks
            webhooks.sweep()
    except Exception:
        log.exception("the webhook sweep failed")
    finally:
        connections.close_all()
        _sweeping.release()


ANNOUNCERS = {
    "task": lambda pk: notifications.announce_task(task_id=pk),
    "decision": lambda pk: notifications.announce_decision(decision_id=pk),
    "conclusion": lambda pk: notifications.announce_conclusion(conclusion_id=pk),
    "document": lambda pk: notifications.announce_document(document_id=pk),
}


def announce_later(event: str, subject_id: int) -> None:
    """Tell people of `event` once the transaction that made it commits (on a worker, or in-process)."""

    def queue() -> None:
        try:
            if in_process():
                announce.delay(event, subject_id)
            else:
                _publish_announcement(event, subject_id)
        except Exception:  # broker unreachable: the work is there, only the news of it is lost
            log.warning("could not queue the announcement of %s %s", event, subject_id, exc_info=True)

    transaction.on_commit(queue)


# The producer this process announces through: taken from Celery's pool once and kept, for the pool it came from (a
# test that points the app at another broker gets a new pool), one thread at a time. Taking one from the pool and
# giving it back for every announcement was a tenth of a publish's Python calls.
_announcing = threading.Lock()
_held: tuple[object, Producer] | None = None


def _publish_announcement(event: str, subject_id: int) -> None:
    """announce.delay through the kept producer (publish retries as CELERY_TASK_PUBLISH_RETRY_POLICY says,
    reconnecting it), the arguments' text for monitors given rather than made by Celery's safe repr."""
    global _held
    args = (event, subject_id)
    with _announcing:
        pool = current_app.producer_pool
        if _held is None or _held[0] is not pool:
            _held = (pool, pool.acquire(block=True, timeout=current_app.conf.broker_pool_acquire_timeout))
        try:
            announce.apply_async(args, producer=_held[1], argsrepr=repr(args), kwargsrepr="{}")
        except Exception:  # its connection may be broken for good: the next announcement takes a fresh one
            _held[1].release()
            _held = None
            raise


def _forget_held_producer() -> None:
    """In a forked child: the parent's producer and lock are not this process's."""
    global _announcing, _held
    _announcing, _held = threading.Lock(), None


os.register_at_fork(after_in_child=_forget_held_producer)


@shared_task(name="admission.announce", acks_late=True, ignore_result=True)
def announce(event: str, subject_id: int) -> int:
    return ANNOUNCERS[event](subject_id)
