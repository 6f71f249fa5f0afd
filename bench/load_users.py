"""The virtual users of the load benchmark: a locustfile that bench/load.py runs (`locust -f bench/load_users.py`).

Each user logs in as one of the demo accounts of its role (seed_demo) and, with 1–3 s between actions, looks at the
pages that role uses — inbox, queue, case list, case pages, duty list, documents, dashboard — and completes tasks the
way a person does: claim a task from the unit's queue, open its page, post its form (CSRF token included), follow
the redirect to the case page. A completion counts only when the form's POST answers 302 to that case's page.

Configured by bench/load.py through the environment:
  LOAD_PASSWORD  the demo accounts' password
  LOAD_TOTP_SECRET  the demo's published TOTP secret (base32): heads and reviewers give its code after the password
  LOAD_TITLES    JSON {task title shown in the queue: node name} (admission.procedure.STEPS)
  LOAD_LETTER    path of a one-page PDF uploaded where a form asks for a letter
  LOAD_RUN_TIME  seconds the run lasts once every user has logged in
  LOAD_COUNTERS  where to write, at the end, every request (name, when, how long, error) and what the statistics
                 do not show (claims lost to a colleague, queues without a task to do)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent.event
from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
TOTP_SECRET = os.environ.get("LOAD_TOTP_SECRET", "")
SECOND_FACTOR = "/accounts/second-factor/verify/"
TITLES: dict[str, str] = json.loads(os.environ.get("LOAD_TITLES", "{}"))
LETTER = Path(os.environ["LOAD_LETTER"]).read_bytes() if os.environ.get("LOAD_LETTER") else b""
COUNTERS: Counter[str] = Counter()

ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
TITLE = re.compile(r"<td[^>]*><strong>(.*?)</strong></td>")
CLAIM = re.compile(r'action="/tasks/(\d+)/claim/"')
CASE = re.compile(r'href="/requests/(\d+)/"')
NEXT_TASK = re.compile(r"/tasks/\d+/")
DOCUMENT = re.compile(r'href="/documents/(\d+)/"')
ERRORS = re.compile(r'<ul class="errorlist[^"]*">(.*?)</ul>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")


def _totp(step: int) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as an authenticator app computes it: locust does not set up Django."""
    digest = hmac.new(base64.b32decode(TOTP_SECRET), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def _letter(field: str) -> dict:
    return {field: ("盖章扫描件.pdf", LETTER, "application/pdf")}


# What a person types into each step's form: (variant name, form fields, files). Mostly the ordinary outcome; now and
# then a township disagrees or the office returns the papers for a supplement, as in real work.
def _form(node: str, task_id: int) -> tuple[str, dict, dict]:
    if node == "consult":
        if random.random() < 0.1:
            return "disagrees", {"agrees": "0", "opinion": "本镇暂无专职人员，建议明确人员和经费后再议。"}, {}
        return "agrees", {"agrees": "1", "opinion": "经镇党委会议研究，同意承担，按方案配齐人员、落实台账。"}, {}
    if node == "revise":
        return "", {}, {}
    if node == "submit":
        return "", {}, _letter("application_letter")
    if node == "intake":
        if random.random() < 0.1:
            return (
                "supplement",
                {"decision": "supplement", "items": "请补充各乡镇人员安排的具体岗位和人数。", "note": ""},
                {},
            )
        return "accept", {"decision": "accept", "items": "", "note": "材料齐全，予以受理。"}, {}
    if node == "supplement":
        return "", {"note": "已补充人员安排说明。"}, {}
    if node == "lead_review":
        return "opinion", {"decision": "opinion", "passes": "1", "reasoning": "职责分工明确，同意。"}, {}
    if node in ("legality_review", "data_review"):
        return "", {"passes": "1", "reasoning": "经审核，依据充分，与权责清单衔接，同意。"}, {}
    if node == "give_advice":
        return "", {"answer": "与我单位职责无交叉，同意。"}, {}
    if node == "consolidate":
        findings = dict.fromkeys(
            ("work_content", "legal_basis", "division_of_responsibilities", "consultation", "safeguards"), "符合要求。"
        )
        return "", {"passes": "1", **findings, "reasons": "", "remedy": ""}, {}
    if node == "banner_decision":
        return "", {"approves": "1", "reasons": ""}, {}
    if node == "city_decision":
        return (
            "",
            {
                "approves": "1",
                "document_number": f"呼政字〔2026〕{task_id}号",
                "decision_date": _today(),
                "reasons": "",
            },
            _letter("reply_scan"),
        )
    raise KeyError(node)


# Nobody starts working before everyone has logged in (a login hashes the password for about a second of CPU; twenty
# at once are not the working day this measures). From then on the run lasts LOAD_RUN_TIME seconds: the window.
EVERYONE_IN = gevent.event.Event()
LOGGED_IN = itertools.count(1)
WINDOW: dict[str, float] = {}


def _logged_in(environment) -> None:
    if next(LOGGED_IN) >= environment.parsed_options.num_users:
        WINDOW["start"] = time.time()
        EVERYONE_IN.set()
        gevent.spawn_later(float(os.environ.get("LOAD_RUN_TIME", "60")), environment.runner.quit)
    EVERYONE_IN.wait()


class Staff(HttpUser):
    """One person at work; subclasses say which accounts and how often each page is used."""

    abstract = True
    wait_time = between(1, 3)
    accounts: tuple[str, ...] = ()
    sees_dashboard = False

    def on_start(self):
        counter = type(self).__dict__.get("_next")
        if counter is None:
            counter = itertools.count()
            type(self)._next = counter
        self.username = self.accounts[next(counter) % len(self.accounts)]
        self.cases: list[int] = []
        self.documents: list[int] = []
        self.client.get("/accounts/login/", name="GET /accounts/login/")
        with self.client.post(
            "/accounts/login/",
            name="POST /accounts/login/",
            allow_redirects=False,
            catch_response=True,
            data={"csrfmiddlewaretoken": self._csrf(), "username": self.username, "password": PASSWORD},
        ) as response:
            if response.status_code == 302 and response.headers.get("Location") == "/":
                response.success()
            else:
                response.failure(f"login as {self.username}: {response.status_code}")
        self._second_factor()
        _logged_in(self.environment)

    def _second_factor(self):
        """Heads and reviewers are asked for their code after the password (the demo's devices share one key); a code
        is accepted once, so a refused one is retried with the next 30-second step's."""
        page = self.client.get(f"{SECOND_FACTOR}?next=/", name=f"GET {SECOND_FACTOR}", allow_redirects=False)
        if page.status_code != 200:
            return  # no second factor asked of this role
        for attempt in range(2):
            step = int(time.time()) // 30 + attempt
            if attempt:
                time.sleep(max(0.0, step * 30 - time.time()))
            with self.client.post(
                f"{SECOND_FACTOR}?next=/",
                name=f"POST {SECOND_FACTOR}",
                allow_redirects=False,
                catch_response=True,
                data={"csrfmiddlewaretoken": self._csrf(), "token": _totp(step), "next": "/"},
            ) as response:
                if response.status_code == 302:
                    response.success()
                    return
                if attempt:
                    response.failure(f"second factor of {self.username}: {response.status_code}")
                else:
                    response.success()

    def _csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def _page(self, path: str, name: str, *, links: re.Pattern | None = None, into: list | None = None):
        response = self.client.get(path, name=name)
        if links is not None and response.status_code == 200:
            found = [int(pk) for pk in links.findall(response.text)]
            if found and into is not None:
                into[:] = found
        return response

    # --- pages ------------------------------------------------------------------------------------------------

    def inbox(self):
        self._page("/tasks/", "GET /tasks/ (inbox)", links=CASE, into=self.cases)

    def queue(self):
        self._page("/tasks/queue/", "GET /tasks/queue/", links=CASE, into=self.cases)

    def archive(self):
        self._page("/tasks/archive/", "GET /tasks/archive/")

    def case_list(self):
        self._page("/requests/", "GET /requests/", links=CASE, into=self.cases)

    def case_page(self):
        if not self.cases:
            self.case_list()
        if self.cases:
            self._page(f"/requests/{random.choice(self.cases)}/", "GET /requests/[id]/")

    def duty_list(self):
        self._page("/duties/", "GET /duties/")

    def document_list(self):
        self._page("/documents/", "GET /documents/", links=DOCUMENT, into=self.documents)

    def document_download(self):
        if not self.documents:
            self.document_list()
        if self.documents:
            self._page(f"/documents/{random.choice(self.documents)}/", "GET /documents/[id]/ (PDF)")

    def dashboard(self):
        if self.sees_dashboard:
            self._page("/dashboard/", "GET /dashboard/")

    def notifications(self):
        self._page("/notifications/", "GET /notifications/")

    # --- completing a task, as in the browser ---------------------------------------------------------------

    def complete_a_task(self):
        queue = self.client.get("/tasks/queue/", name="GET /tasks/queue/")
        rows = []
        for row in ROW.findall(queue.text if queue.status_code == 200 else ""):
            claim, title, case = CLAIM.search(row), TITLE.search(row), CASE.search(row)
            if claim and title and case and title.group(1) in TITLES:
                rows.append((int(claim.group(1)), TITLES[title.group(1)], int(case.group(1))))
        if not rows:
            COUNTERS["queue empty"] += 1
            return
        task_id, node, case = random.choice(rows)
        with self.client.post(
            f"/tasks/{task_id}/claim/",
            name="POST /tasks/[id]/claim/",
            allow_redirects=False,
            catch_response=True,
            data={"csrfmiddlewaretoken": self._csrf()},
        ) as response:
            where = response.headers.get("Location")
            if response.status_code == 302 and where == f"/tasks/{task_id}/":
                response.success()
            elif response.status_code == 302 and where == "/tasks/queue/":
                # A colleague (another session of the same unit) claimed it first: the page says so, not an error.
                response.success()
                COUNTERS["claim lost to a colleague"] += 1
                return
            else:
                response.failure(f"claim: {response.status_code} {where}")
                return
        self.client.get(f"/tasks/{task_id}/", name=f"GET /tasks/[id]/ ({node})")
        variant, data, files = _form(node, task_id)
        label = f"{node}, {variant}" if variant else node
        with self.client.post(
            f"/tasks/{task_id}/",
            name=f"POST /tasks/[id]/ ({label})",
            allow_redirects=False,
            catch_response=True,
            data={"csrfmiddlewaretoken": self._csrf(), **data},
            files=files or None,
        ) as response:
            where = response.headers.get("Location")
            # Done: on to the next task of the queue (issue 13), or to the case when there is none.
            if response.status_code == 302 and (where == f"/requests/{case}/" or NEXT_TASK.fullmatch(where or "")):
                response.success()
            else:
                errors = " ".join(TAG.sub("", e).strip() for e in ERRORS.findall(response.text))[:200]
                response.failure(f"complete {node}: {response.status_code} {where or ''} {errors}")
                return
        self.client.get(
            where, name="GET /requests/[id]/" if where.startswith("/requests/") else "GET /tasks/[id]/ (next)"
        )


class TownshipClerk(Staff):
    """乡镇经办人: written opinions on the cases sent to the township; the township's duty list."""

    weight = 10
    accounts = (
        "naji",
        "liuhe",
        "yadong",
        "huoerqi",
        "xiangyangyu",
        "sanchahe",
        "fuxing",
        "xingan",
        "deliqier",
        "chabaqi",
        "yinhe",
        "xinfa",
    )

    @task(3)
    def complete(self):
        self.complete_a_task()

    @task(2)
    def look_inbox(self):
        self.inbox()

    @task(1)
    def look_queue(self):
        self.queue()

    @task(1)
    def look_cases(self):
        self.case_list()

    @task(2)
    def look_case(self):
        self.case_page()

    @task(2)
    def look_duties(self):
        self.duty_list()

    @task(1)
    def look_documents(self):
        self.document_list()

    @task(1)
    def open_document(self):
        self.document_download()

    @task(1)
    def look_notifications(self):
        self.notifications()


class DepartmentClerk(Staff):
    """旗直部门经办人: their cases, submitting the written application, revising after a disagreement."""

    weight = 4
    accounts = ("linye", "yingji", "nongmu", "minzheng", "weijian")

    @task(2)
    def complete(self):
        self.complete_a_task()

    @task(2)
    def look_inbox(self):
        self.inbox()

    @task(1)
    def look_queue(self):
        self.queue()

    @task(2)
    def look_cases(self):
        self.case_list()

    @task(2)
    def look_case(self):
        self.case_page()

    @task(1)
    def look_duties(self):
        self.duty_list()

    @task(1)
    def look_documents(self):
        self.document_list()

    @task(1)
    def look_notifications(self):
        self.notifications()


class OfficeReviewer(Staff):
    """编办、司法局、数据局审核人员: intake, the joint review's three opinions, the consolidated conclusion."""

    weight = 4
    accounts = ("bianban", "sifa", "zhengshu", "bianban_zr")

    def on_start(self):
        super().on_start()
        self.sees_dashboard = self.username.startswith("bianban")

    @task(3)
    def complete(self):
        self.complete_a_task()

    @task(2)
    def look_inbox(self):
        self.inbox()

    @task(1)
    def look_queue(self):
        self.queue()

    @task(2)
    def look_cases(self):
        self.case_list()

    @task(2)
    def look_case(self):
        self.case_page()

    @task(1)
    def look_duties(self):
        self.duty_list()

    @task(1)
    def look_documents(self):
        self.document_list()

    @task(1)
    def look_dashboard(self):
        self.dashboard()

    @task(1)
    def look_archive(self):
        self.archive()


class Leadership(Staff):
    """旗委、旗政府: the banner's decisions and the oversight dashboard."""

    weight = 2
    accounts = ("lingdao",)
    sees_dashboard = True

    @task(2)
    def complete(self):
        self.complete_a_task()

    @task(2)
    def look_dashboard(self):
        self.dashboard()

    @task(2)
    def look_cases(self):
        self.case_list()

    @task(2)
    def look_case(self):
        self.case_page()

    @task(1)
    def look_duties(self):
        self.duty_list()

    @task(1)
    def look_documents(self):
        self.document_list()

    @task(1)
    def look_inbox(self):
        self.inbox()


# Every request from the first login to the last completion, with the time it finished: bench/load.py computes
# the percentiles of the measured window itself (after the last login), and counts completions and errors over all.
SAMPLES: list[tuple[float, str, float, str]] = []  # (finished at, name, response time in ms, error or "")


@events.request.add_listener
def _sample(request_type, name, response_time, response_length, exception=None, **_kwargs):
    SAMPLES.append((time.time(), name, response_time, "" if exception is None else str(exception)[:300]))


@events.quitting.add_listener
def _write_samples(environment, **_kwargs):
    path = os.environ.get("LOAD_COUNTERS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(
                {"samples": SAMPLES, "events": COUNTERS, "window_start": WINDOW.get("start")}, out, ensure_ascii=False
            )
