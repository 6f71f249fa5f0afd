"""issue 11 part 3: serving. Debian's nginx with deploy/nginx/admission.conf and a self-signed certificate on loopback,
in front of a real gunicorn (deploy/gunicorn.conf.py) on a SQLite database with seeded users and production settings:
over HTTPS a township clerk logs in, claims and completes a task (POSTs pass CSRF through the proxy), HSTS is sent,
plain HTTP is redirected, static files come from nginx and /verify/ is rate-limited."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from tests.processes import PYTHON, ROOT, child_env, free_port, manage, stop, wait_for_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "admission.conf"
HOST = "admission.test"

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is not installed (make test installs it)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed (make test installs it)"),
]


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str


class Client:
    """A browser reduced to what the test needs: TLS to 127.0.0.1 under the site's name (SNI), cookies, no redirects."""

    def __init__(self, port: int, cafile: Path):
        self.port = port
        self.context = ssl.create_default_context(cafile=str(cafile))
        self.cookies: dict[str, str] = {}
        self.cookie_flags: dict[str, str] = {}
        self.origin = f"https://{HOST}:{port}"

    def _connection(self):
        client = self

        class Connection(http.client.HTTPSConnection):
            def connect(self):
                sock = socket.create_connection(("127.0.0.1", client.port), timeout=30)
                self.sock = client.context.wrap_socket(sock, server_hostname=HOST)

        return Connection(HOST, self.port, context=self.context, timeout=30)

    def request(self, method: str, path: str, form: dict | None = None) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read().decode("utf-8", "replace"))
        finally:
            connection.close()
        for line in reply.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
                self.cookie_flags[name] = line
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Reply:
        return self.request("POST", path, {"csrfmiddlewaretoken": self.cookies["csrftoken"], **form})


def _certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _site(tmp: Path, *, https_port: int, http_port: int, web_port: int, static: Path, cert: Path, key: Path) -> Path:
    """deploy/nginx/admission.conf with this test's host, ports and paths; everything else exactly as shipped."""
    text = SITE.read_text(encoding="utf-8")
    replacements = {
        "admission.example.gov.cn": HOST,
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/ssl/admission/fullchain.pem": str(cert),
        "/etc/ssl/admission/privkey.pem": str(key),
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{web_port};",
        "/var/lib/admission/static/": f"{static}/",
        "/opt/admission/deploy/nginx/errors/": f"{ROOT / 'deploy' / 'nginx' / 'errors'}/",
        "/var/log/nginx/admission.access.log": str(tmp / "access.log"),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/admission.conf no longer has {old!r}: update this test"
        text = text.replace(old, new)
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    (tmp / "site.conf").write_text(text, encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers must read the test's private temporary directory
        + f"worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\ndaemon off;\n"
        "events { worker_connections 128; }\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n{temp}\n"
        f"    include {tmp / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seeded_database):
    tmp = tmp_path_factory.mktemp("stack")
    var = tmp / "var"
    var.mkdir()
    shutil.copy(seeded_database, var / "db.sqlite3")
    https_port, http_port, web_port = free_port(), free_port(), free_port()
    env = child_env(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ADMISSION_ENV_FILE="",
        ADMISSION_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
        ADMISSION_PUBLIC_URL=f"https://{HOST}:{https_port}",
        ADMISSION_BIND=f"127.0.0.1:{web_port}",
        WEB_CONCURRENCY="2",
        ADMISSION_RENDER_ON_COMMIT="0",
        ADMISSION_SWEEP_IN_WEB="0",
        ADMISSION_FONT_DIR=str(settings.ADMISSION_FONT_DIR),
        LOG_FORMAT="json",
    )
    manage("collectstatic", "--noinput", "-v0", env=env)
    cert, key = _certificate(tmp)
    conf = _site(
        tmp, https_port=https_port, http_port=http_port, web_port=web_port, static=var / "static", cert=cert, key=key
    )
    checked = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr

    web_log = (tmp / "gunicorn.log").open("w")
    web = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=web_log,
        stderr=subprocess.STDOUT,
    )
    proxy = subprocess.Popen([NGINX, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(web_port, process=web)
        wait_for_port(https_port, process=proxy)
        yield {
            "tmp": tmp,
            "env": env,
            "https": https_port,
            "http": http_port,
            "cert": cert,
            "web_log": tmp / "gunicorn.log",
        }
    finally:
        stop(proxy)
        stop(web)
        web_log.close()


def test_a_township_clerk_logs_in_and_completes_a_task_over_https_without_a_csrf_failure(stack):
    browser = Client(stack["https"], stack["cert"])
    login = browser.get("/accounts/login/")
    assert login.status == 200 and "登录" in login.body
    assert "Secure" in browser.cookie_flags["csrftoken"]

    signed_in = browser.post("/accounts/login/", {"username": "naji", "password": "pass-1234"})
    assert signed_in.status == 302, signed_in.body[:500]
    assert signed_in.headers["Location"] == "/"
    assert "Secure" in browser.cookie_flags["sessionid"] and "HttpOnly" in browser.cookie_flags["sessionid"]

    queue = browser.get("/tasks/queue/")
    assert queue.status == 200
    claim = re.search(r'action="(/tasks/(\d+)/claim/)"', queue.body)
    assert claim, "那吉镇's queue holds the consultation"
    claimed = browser.post(claim.group(1), {})
    assert claimed.status == 302, claimed.body[:500]

    task_path = f"/tasks/{claim.group(2)}/"
    assert browser.get(task_path).status == 200
    done = browser.post(task_path, {"agrees": "1", "opinion": "同意承担，按方案落实。"})
    assert done.status == 302, done.body[:800]
    case_page = browser.get(done.headers["Location"])
    assert case_page.status == 200 and "同意：同意承担，按方案落实。" in case_page.body

    outcome = manage(
        "shell",
        "-c",
        "from admission.models import Consultation; "
        "print(Consultation.objects.get(township__division_code='150721100').outcome)",
        env=stack["env"],
    )
    assert outcome.stdout.splitlines()[-1] == "agreed"


def test_responses_carry_hsts_and_plain_http_is_sent_to_https(stack):
    reply = Client(stack["https"], stack["cert"]).get("/accounts/login/")
    hsts = reply.headers["Strict-Transport-Security"]
    assert hsts == f"max-age={settings.SECURE_HSTS_SECONDS}; includeSubDomains"
    assert int(hsts.split("=")[1].split(";")[0]) >= 31536000

    plain = http.client.HTTPConnection("127.0.0.1", stack["http"], timeout=10)
    plain.request("GET", "/accounts/login/?next=/", headers={"Host": HOST})
    response = plain.getresponse()
    assert response.status == 301
    assert response.headers["Location"] == f"https://{HOST}/accounts/login/?next=/"


def test_static_files_are_served_by_nginx_from_collectstatic(stack):
    reply = Client(stack["https"], stack["cert"]).get("/static/admission/app.css")
    assert reply.status == 200 and "header.top" in reply.body
    assert reply.headers["Content-Type"] == "text/css"


def test_the_public_verification_page_is_rate_limited_per_address(stack):
    site = SITE.read_text()
    burst = int(re.search(r"zone=admission_verify burst=(\d+)", site).group(1))
    per_minute = int(re.search(r"zone=admission_verify:\w+ rate=(\d+)r/m", site).group(1))
    browser = Client(stack["https"], stack["cert"])
    started = time.monotonic()
    statuses = [browser.get("/verify/").status for _ in range(burst + 10)]
    refilled = int((time.monotonic() - started) * per_minute / 60)
    assert statuses[0] == 200
    assert 429 in statuses
    assert burst + 1 <= statuses.count(200) <= burst + 1 + refilled + 1, statuses
    limited = browser.get("/verify/")
    assert limited.status == 429 and "操作过于频繁" in limited.body


def test_a_body_over_the_request_limit_is_refused_by_nginx_with_a_chinese_page(stack):
    limit = re.search(r"client_max_body_size (\d+)m;", SITE.read_text())
    assert int(limit.group(1)) * 1024 * 1024 == settings.ADMISSION_MAX_REQUEST_BYTES
    connection = Client(stack["https"], stack["cert"])._connection()
    connection.putrequest("POST", "/verify/")
    connection.putheader("Content-Length", str(settings.ADMISSION_MAX_REQUEST_BYTES + 1))
    connection.putheader("Content-Type", "application/octet-stream")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert "提交的内容过大" in response.read().decode()
    connection.close()


def test_the_proxys_request_id_is_in_the_response_and_in_both_json_logs(stack):
    reply = Client(stack["https"], stack["cert"]).get("/healthz")
    assert reply.status == 200 and json.loads(reply.body) == {"status": "ok"}
    request_id = reply.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), "nginx's $request_id, passed on and echoed"

    def logged(path):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
            found = [line for line in lines if line.get("request_id") == request_id]
            if found:
                return lines, found
            time.sleep(0.2)
        raise AssertionError(f"{request_id} not in {path}")

    app_lines, app_found = logged(stack["web_log"])
    assert [(line["logger"], line["path"], line["status"]) for line in app_found] == [
        ("admission.request", "/healthz", 200)
    ]
    assert any(line["logger"] == "gunicorn.error" for line in app_lines), "gunicorn's own lines are JSON too"
    _access, access_found = logged(stack["tmp"] / "access.log")
    assert access_found[0]["uri"] == "/healthz" and access_found[0]["status"] == 200


def test_readiness_answers_this_machine_through_the_proxy(stack):
    reply = Client(stack["https"], stack["cert"]).get("/readyz")
    body = json.loads(reply.body)
    assert body["checks"]["database"] == {**body["checks"]["database"], "ok": True, "detail": "sqlite"}
    assert body["checks"]["migrations"]["ok"] and body["checks"]["storage"]["ok"]
    # The seeded banner's bodies have no keys in this installation: not ready, and said so.
    assert reply.status == 503 and not body["checks"]["signing_keys"]["ok"]


def test_gunicorn_refuses_to_start_while_the_public_address_is_loopback(tmp_path):
    env = child_env(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ADMISSION_ENV_FILE="",
        ADMISSION_VAR_DIR=str(tmp_path),
        ADMISSION_PUBLIC_URL="http://127.0.0.1:8000",
        ADMISSION_BIND=f"127.0.0.1:{free_port()}",
    )
    result = subprocess.run(
        [PYTHON, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "admission-web is not started" in result.stderr and "admission.E001" in result.stderr
    assert "Booting worker" not in result.stderr
