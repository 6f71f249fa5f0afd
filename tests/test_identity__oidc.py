"""Single sign-on through a province's 统一身份认证 platform (等保2.0 身份鉴别; issue 12 part 1), against a real OpenID
Connect provider: tests/oidc_provider, django-oauth-toolkit in its own Django process on a loopback port, with its own
SQLite file and an RSA key made here. A requests session plays the browser between it and the product's live server:
the product sends it to the platform, it logs in there with the platform's form and approves, and the product takes
the code back, exchanges it at the platform's token endpoint and checks the ID token against the platform's JWKS.

Nothing of the product is mocked: a platform account is let in only when the system administrator tied it to a member
(admission.ExternalIdentity); an unmapped one is refused with a page saying whom to ask; ID tokens that expired, were
issued to another client or by another issuer, or were altered after signing are refused."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model

from admission.models import AuditAction, AuditEvent, AuditOutcome, ExternalIdentity, Membership
from tests.processes import PYTHON, ROOT, child_env, free_port, stop, wait_for_port
from tests.support import PASSWORD

CLIENT_ID = "township-duty-admission"
CLIENT_SECRET = "a-long-client-secret-for-the-test-platform"
PLATFORM_PASSWORD = "platform-pass-5678"
PLATFORM_ACCOUNTS = (
    "zhangsan",
    "lisi",
    "wangwu",
    "zhaoliu",
    "expired",
    "foreign-audience",
    "foreign-issuer",
    "tampered",
)


def _django(*args: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "-m", "django", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"django {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def platform(live_server, tmp_path_factory):
    """The test 统一身份认证 platform, migrated, with this product registered as its client, listening on loopback."""
    directory = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = child_env(
        DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
        PYTHONPATH=str(ROOT),
        OIDC_PROVIDER_DIR=str(directory),
        OIDC_PROVIDER_KEY=str(directory / "key.pem"),
        OIDC_PROVIDER_ISSUER=issuer,
    )
    _django("migrate", "--noinput", "-v0", env=env)
    _django(
        "register_platform",
        f"--client-id={CLIENT_ID}",
        f"--client-secret={CLIENT_SECRET}",
        f"--redirect-uri={live_server.url}/accounts/sso/callback/",
        f"--post-logout-redirect-uri={live_server.url}/accounts/login/",
        f"--password={PLATFORM_PASSWORD}",
        *PLATFORM_ACCOUNTS,
        env=env,
    )
    log = (directory / "server.log").open("w")
    process = subprocess.Popen(
        [PYTHON, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process=process)
        yield SimpleNamespace(issuer=issuer, url=f"http://127.0.0.1:{port}", log=directory / "server.log")
    finally:
        stop(process)
        log.close()


@pytest.fixture
def sso(settings, platform, live_server):
    """The product configured for the platform as an operator would: client, secret and issuer; every endpoint from
    the platform's discovery document."""
    from web import oidc

    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = platform.issuer
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "web.oidc.PlatformBackend"]
    # The live server speaks plain HTTP (production's cookies are Secure, behind TLS): a browser would not send them.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    oidc._discovered.clear()
    yield SimpleNamespace(platform=platform, base=live_server.url)
    oidc._discovered.clear()


class _Forms(HTMLParser):
    """The forms of a page: their action and their inputs' names and values."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "id": attrs.get("id"), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name") and attrs.get("type") != "submit":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def forms_of(response: requests.Response) -> list[dict]:
    parser = _Forms()
    parser.feed(response.text)
    return parser.forms


def log_in_at_the_platform(sso, username: str, *, next_page: str = "") -> tuple[requests.Session, requests.Response]:
    """What a person does: the product's login page, its 统一身份认证 button, the platform's login form, the
    platform's approval, back to the product. Returns the browser and the product's answer to the callback."""
    browser = requests.Session()
    login_page = browser.get(f"{sso.base}/accounts/login/", timeout=30)
    assert "统一身份认证登录" in login_page.text
    button = f"{sso.base}/accounts/sso/login/" + (f"?next={next_page}" if next_page else "")
    to_platform = browser.get(button, allow_redirects=False, timeout=30)
    assert to_platform.status_code == 302, to_platform.text
    authorize = to_platform.headers["Location"]
    assert authorize.startswith(f"{sso.platform.issuer}/authorize/")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == [f"{sso.base}/accounts/sso/callback/"]

    platform_login = browser.get(authorize, timeout=30)  # not logged in there: its login form
    (login_form,) = [f for f in forms_of(platform_login) if f["id"] == "login"]
    consent = browser.post(
        urljoin(platform_login.url, login_form["action"]),
        timeout=30,
        data={**login_form["fields"], "username": username, "password": PLATFORM_PASSWORD},
    )
    (approve,) = [f for f in forms_of(consent) if "client_id" in f["fields"]]
    back = browser.post(
        urljoin(consent.url, approve["action"]),
        data={**approve["fields"], "allow": "Authorize"},
        allow_redirects=False,
        timeout=30,
    )
    assert back.status_code == 302, back.text
    callback = back.headers["Location"]
    assert callback.startswith(f"{sso.base}/accounts/sso/callback/?") and "code=" in callback
    return browser, browser.get(callback, allow_redirects=False, timeout=60)


def signed_in_as(browser: requests.Session, base: str) -> str | None:
    """Who the product thinks the browser is: the username it shows, or None when it asks to log in."""
    home = browser.get(f"{base}/", timeout=30)
    assert home.status_code == 200
    return None if urlsplit(home.url).path == "/accounts/login/" else home.text


def test_sso_maps_a_platform_account_to_its_member_logs_in_and_logs_out_at_the_platform_too(sso, banner):
    member = banner.users["forestry"]
    ExternalIdentity.objects.create(user=member, issuer=sso.platform.issuer, subject="platform-zhangsan")

    browser, answer = log_in_at_the_platform(sso, "zhangsan", next_page="/duties/")

    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"] == "/duties/"
    page = signed_in_as(browser, sso.base)
    assert page is not None and member.username in page
    login = AuditEvent.objects.filter(action=AuditAction.LOGIN).latest("pk")
    assert login.actor == member and login.outcome == AuditOutcome.SUCCESS
    assert login.organization == member.membership.organization and login.source_address == "127.0.0.1"
    assert login.data == {
        "via": "oidc",
        "issuer": sso.platform.issuer,
        "subject": "platform-zhangsan",
        "name": "zhangsan",
    }
    assert ExternalIdentity.objects.get(user=member).last_login_at is not None

    # The same answer from the platform, replayed: its state was used up.
    replayed = requests.get(answer.url, allow_redirects=False, timeout=30)
    assert replayed.status_code in (400, 403) and "重新登录" in replayed.text

    # Logging out here ends the platform's session too (RP-initiated logout), then comes back to the login page.
    (logout,) = [
        f for f in forms_of(browser.get(f"{sso.base}/duties/", timeout=30)) if f["action"] == "/accounts/logout/"
    ]
    out = browser.post(f"{sso.base}/accounts/logout/", data=logout["fields"], allow_redirects=False, timeout=30)
    assert out.status_code == 302 and out.headers["Location"].startswith(f"{sso.platform.issuer}/logout/?")
    assert "id_token_hint=" in out.headers["Location"]
    landed = browser.get(out.headers["Location"], timeout=30)
    assert landed.url == f"{sso.base}/accounts/login/" and "统一身份认证登录" in landed.text
    assert signed_in_as(browser, sso.base) is None
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=member).count() == 1
    again = browser.get(f"{sso.base}/accounts/sso/login/", timeout=30)  # the platform asks for the password again
    assert any(f["id"] == "login" for f in forms_of(again))


def test_sso_refuses_an_unmapped_platform_account_and_says_to_ask_the_organization_office(sso, banner):
    users, memberships = get_user_model().objects.count(), Membership.objects.count()

    browser, answer = log_in_at_the_platform(sso, "lisi")

    assert answer.status_code == 403
    assert (
        "尚未与本系统的人员对应" in answer.text
        and "委编办的系统管理员" in answer.text
        and "platform-lisi" in answer.text
    )
    assert signed_in_as(browser, sso.base) is None
    assert (get_user_model().objects.count(), Membership.objects.count()) == (users, memberships)
    assert not ExternalIdentity.objects.exists()
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).latest("pk")
    assert failed.outcome == AuditOutcome.FAILURE and failed.source_address == "127.0.0.1"
    assert failed.data["reason"] == "unmapped" and failed.data["subject"] == "platform-lisi"


def test_sso_refuses_a_mapped_account_whose_user_has_no_membership(sso, banner):
    loner = get_user_model().objects.create_user(username="loner", password=PASSWORD)
    ExternalIdentity.objects.create(user=loner, issuer=sso.platform.issuer, subject="platform-zhaoliu")

    browser, answer = log_in_at_the_platform(sso, "zhaoliu")

    assert answer.status_code == 403 and "尚未加入任何单位" in answer.text
    assert signed_in_as(browser, sso.base) is None
    assert not Membership.objects.filter(user=loner).exists()


def test_sso_binds_a_pre_registered_claim_value_at_the_first_login_then_goes_by_the_subject(sso, banner, settings):
    settings.ADMISSION_OIDC_MATCH_CLAIM = "preferred_username"
    member = banner.users["naji"]
    identity = ExternalIdentity.objects.create(user=member, issuer=sso.platform.issuer, claim_value="wangwu")

    browser, answer = log_in_at_the_platform(sso, "wangwu")

    assert answer.status_code == 302
    assert member.username in signed_in_as(browser, sso.base)
    identity.refresh_from_db()
    assert identity.subject == "platform-wangwu" and identity.bound_at is not None
    bound = AuditEvent.objects.filter(action=AuditAction.IDENTITY_CHANGE, data__bound=True).get()
    assert bound.actor == member and bound.data["subject"] == "platform-wangwu"


@pytest.mark.parametrize("account", ["expired", "foreign-audience", "foreign-issuer", "tampered"])
def test_sso_refuses_id_tokens_expired_for_another_client_from_another_issuer_or_altered(sso, banner, account):
    # Every bad account is mapped, and the tampered token claims to be zhangsan, who is mapped too.
    mapped = ((f"platform-{account}", banner.users["liuhe"]), ("platform-zhangsan", banner.users["forestry"]))
    for subject, user in mapped:
        ExternalIdentity.objects.create(user=user, issuer=sso.platform.issuer, subject=subject)

    browser, answer = log_in_at_the_platform(sso, account)

    assert answer.status_code == 403 and "未通过校验" in answer.text
    assert signed_in_as(browser, sso.base) is None
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).latest("pk")
    assert failed.data["reason"] == "invalid_token"


def test_sso_is_off_unless_configured(client, banner):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "统一身份认证登录" not in page.content.decode()
    assert client.get("/accounts/sso/login/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404
    assert client.post("/accounts/login/", {"username": "forestry", "password": PASSWORD}).status_code == 302


def test_sso_configured_but_the_platform_down_leaves_password_login_working(client, banner, settings):
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_OP_ISSUER = f"http://127.0.0.1:{free_port()}/o"  # nobody listens there
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "web.oidc.PlatformBackend"]

    assert "统一身份认证登录" in client.get("/accounts/login/").content.decode()
    button = client.get("/accounts/sso/login/")
    assert button.status_code == 503 and "暂时无法连接统一身份认证平台" in button.content.decode()
    assert client.post("/accounts/login/", {"username": "forestry", "password": PASSWORD}).status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/tasks/"


def test_sso_settings_need_a_secret_and_an_issuer_and_an_asymmetric_algorithm(tmp_path):
    env = child_env(
        ADMISSION_ENV_FILE="", DJANGO_DEBUG="1", ADMISSION_VAR_DIR=str(tmp_path), OIDC_RP_CLIENT_ID=CLIENT_ID
    )
    missing = subprocess.run(
        [PYTHON, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert missing.returncode != 0 and "OIDC_RP_CLIENT_SECRET and OIDC_OP_ISSUER must be set" in missing.stderr
    symmetric = subprocess.run(
        [PYTHON, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "OIDC_RP_CLIENT_SECRET": "s", "OIDC_OP_ISSUER": "https://x/o", "OIDC_RP_SIGN_ALGO": "HS256"},
    )
    assert symmetric.returncode != 0 and "asymmetric" in symmetric.stderr


# --- The system administrator keeps the mapping (三员分立: the system administrator's users, nobody else's) ----------

INSIDE = {"REMOTE_ADDR": "10.1.2.3"}


@pytest.fixture
def administrators(db):
    from admission.models import AdministratorRole
    from admission.services.administrators import create_administrator

    return {
        role: create_administrator(username=f"{role.value}admin", password=PASSWORD, role=role)
        for role in AdministratorRole
    }


def test_sso_accounts_are_mapped_by_the_system_administrator_alone_and_every_change_is_audited(
    client, banner, administrators, settings
):
    from django.urls import reverse

    from admission.models import AdministratorRole

    settings.OIDC_OP_ISSUER = "https://tyrz.example.gov.cn/oidc"
    add = reverse("admin:admission_externalidentity_add")
    for role in (AdministratorRole.SECURITY, AdministratorRole.AUDIT):
        client.force_login(administrators[role])
        assert client.get(add, **INSIDE).status_code == 403
    system = administrators[AdministratorRole.SYSTEM]
    client.force_login(system)
    form = client.get(add, **INSIDE)
    assert form.status_code == 200 and 'value="https://tyrz.example.gov.cn/oidc"' in form.content.decode()

    member = banner.users["forestry"]
    saved = client.post(
        add, {"user": member.pk, "issuer": settings.OIDC_OP_ISSUER, "subject": "p-001", "claim_value": ""}, **INSIDE
    )
    assert saved.status_code == 302
    identity = ExternalIdentity.objects.get(user=member)
    change = AuditEvent.objects.filter(action=AuditAction.IDENTITY_CHANGE).get()
    assert change.actor == system and change.source_address == "10.1.2.3" and change.data["subject"] == "p-001"

    # An administrator's own account is never reachable through the platform; a row needs a subject or a value.
    for refused, message in (
        ({"user": system.pk, "subject": "p-002"}, "三员分立"),
        ({"user": banner.users["naji"].pk}, "至少一项"),
    ):
        answer = client.post(
            add, {"issuer": settings.OIDC_OP_ISSUER, "subject": "", "claim_value": "", **refused}, **INSIDE
        )
        assert answer.status_code == 200 and message in answer.content.decode()
    assert ExternalIdentity.objects.count() == 1

    client.post(reverse("admin:admission_externalidentity_delete", args=[identity.pk]), {"post": "yes"}, **INSIDE)
    assert not ExternalIdentity.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.IDENTITY_CHANGE, data__deleted=True, actor=system).exists()
