"""issue 11 part 1: commands work as written. `make demo` writes var/demo.env, which manage.py reads (the environment
wins over it), so the README's commands run in the demo checkout without DJANGO_DEBUG or SECRET_KEY typed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from config import envfile
from tests.processes import PYTHON, ROOT, child_env, manage


def test_env_file_reads_systemd_environment_file_lines():
    text = "# comment\n\nDJANGO_DEBUG=1\nexport SECRET_KEY='a b=c'\nEMPTY=\nNAME=\"阿荣旗\"\n"
    assert envfile.parse(text) == {"DJANGO_DEBUG": "1", "SECRET_KEY": "a b=c", "EMPTY": "", "NAME": "阿荣旗"}


def test_env_file_with_a_line_that_is_not_a_setting_is_refused_with_its_line_number():
    with pytest.raises(envfile.EnvFileError, match="line 2"):
        envfile.parse("A=1\nthis is not a setting\n")


def test_env_file_is_the_named_one_else_the_demos_else_the_servers(tmp_path, monkeypatch):
    monkeypatch.setattr(envfile, "PRODUCTION_FILE", tmp_path / "etc" / "admission.env")
    assert envfile.locate(tmp_path, environ={}) is None
    envfile.PRODUCTION_FILE.parent.mkdir()
    envfile.PRODUCTION_FILE.write_text("A=1\n")
    assert envfile.locate(tmp_path, environ={}) == envfile.PRODUCTION_FILE
    demo = envfile.write_demo(tmp_path / "var" / "demo.env", host="127.0.0.1", port=8000)
    assert demo["DJANGO_DEBUG"] == "1"
    assert envfile.locate(tmp_path, environ={}) == tmp_path / "var" / "demo.env"
    assert envfile.locate(tmp_path, environ={"ADMISSION_ENV_FILE": ""}) is None
    assert (
        envfile.locate(tmp_path, environ={"ADMISSION_ENV_FILE": str(envfile.PRODUCTION_FILE)})
        == envfile.PRODUCTION_FILE
    )
    with pytest.raises(envfile.EnvFileError, match="does not exist"):
        envfile.locate(tmp_path, environ={"ADMISSION_ENV_FILE": str(tmp_path / "missing.env")})


def test_demo_settings_keep_the_secret_key_and_follow_host_and_port(tmp_path):
    path = tmp_path / "var" / "demo.env"
    first = envfile.write_demo(path, host="127.0.0.1", port=8000)
    assert first["ADMISSION_PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert first["ADMISSION_VAR_DIR"] == str(path.parent.resolve())
    assert len(first["SECRET_KEY"]) >= 50
    path.write_text(path.read_text() + "EMAIL_HOST=mail.example.org\n")
    second = envfile.write_demo(path, host="127.0.0.1", port=8123)
    assert second["SECRET_KEY"] == first["SECRET_KEY"], "the key is generated once: sessions survive a restart"
    assert second["ADMISSION_PUBLIC_URL"] == "http://127.0.0.1:8123"
    assert second["EMAIL_HOST"] == "mail.example.org", "a line added by hand is kept"
    assert envfile.parse(path.read_text()) == second
    assert path.stat().st_mode & 0o077 == 0, "the file holds the secret key"


def test_demo_on_every_interface_prints_an_address_people_can_reach_not_the_wildcard(tmp_path):
    values = envfile.write_demo(tmp_path / "demo.env", host="0.0.0.0", port=8000)
    assert "0.0.0.0" not in values["ADMISSION_PUBLIC_URL"]
    assert values["ADMISSION_PUBLIC_URL"].endswith(":8000")
    assert (
        envfile.write_demo(tmp_path / "demo.env", host="0.0.0.0", port=8000, public_url="http://demo.example.org")[
            "ADMISSION_PUBLIC_URL"
        ]
        == "http://demo.example.org"
    )


def _settings_of(env: dict[str, str], *names: str) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_environment_wins_over_the_settings_file(tmp_path):
    path = tmp_path / "admission.env"
    path.write_text("DJANGO_DEBUG=1\nSECRET_KEY=from-the-file\nADMISSION_PUBLIC_URL=http://127.0.0.1:8000\n")
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings", ADMISSION_ENV_FILE=str(path))
    assert _settings_of(env, "SECRET_KEY", "ADMISSION_PUBLIC_URL", "DEBUG") == {
        "SECRET_KEY": "from-the-file",
        "ADMISSION_PUBLIC_URL": "http://127.0.0.1:8000",
        "DEBUG": "True",
    }
    env["ADMISSION_PUBLIC_URL"] = "https://admission.example.gov.cn"
    env["DJANGO_DEBUG"] = "0"
    assert _settings_of(env, "SECRET_KEY", "ADMISSION_PUBLIC_URL", "DEBUG") == {
        "SECRET_KEY": "from-the-file",
        "ADMISSION_PUBLIC_URL": "https://admission.example.gov.cn",
        "DEBUG": "False",
    }


@pytest.fixture
def demo_checkout(tmp_path, seeded_database):
    """A checkout as `make demo` leaves it: the code, var/demo.env from `python -m config.envfile demo`, a database."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("admission", "workflows", "web", "templates", "locale", "tests", ".venv"):
        (checkout / name).symlink_to(ROOT / name)
    # Copied, not linked: Python resolves a linked script's directory, and settings find var/ beside config/.
    shutil.copy(ROOT / "manage.py", checkout / "manage.py")
    shutil.copytree(ROOT / "config", checkout / "config", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [PYTHON, "-m", "config.envfile", "demo", "--host", "127.0.0.1", "--port", "8765"],
        cwd=checkout,
        env=child_env(),
        check=True,
        capture_output=True,
    )
    shutil.copy(seeded_database, checkout / "var" / "db.sqlite3")
    return checkout


def _as_written(command: str, checkout) -> subprocess.CompletedProcess:
    """Run a command line exactly as the README shows it, in the demo checkout, with nothing else set."""
    return subprocess.run(
        command, shell=True, cwd=checkout, env=child_env(), capture_output=True, text=True, timeout=300
    )


def test_readme_commands_run_as_written_in_the_demo_checkout(demo_checkout):
    """issue 11: send_reminders, export_duty_list and verify_document stopped with "SECRET_KEY must be set"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for shown in (
        ".venv/bin/python manage.py send_reminders",
        "manage.py export_duty_list --township 150721100 --format pdf --output F",
        ".venv/bin/python manage.py verify_document FILE",
    ):
        assert shown in readme, f"the README no longer shows {shown!r}: keep this test in step with it"

    reminders = _as_written(".venv/bin/python manage.py send_reminders", demo_checkout)
    assert reminders.returncode == 0, reminders.stderr
    assert "reminders sent" in reminders.stdout

    exported = _as_written(
        ".venv/bin/python manage.py export_duty_list --township 150721100 --format pdf --output 那吉镇.pdf",
        demo_checkout,
    )
    assert exported.returncode == 0, exported.stderr
    assert (demo_checkout / "那吉镇.pdf").read_bytes().startswith(b"%PDF")

    verified = _as_written(".venv/bin/python manage.py verify_document 那吉镇.pdf", demo_checkout)
    assert verified.returncode == 1, "an export is not a registered official document"
    assert "registered=False" in verified.stdout and "SECRET_KEY" not in verified.stderr

    assert "SECRET_KEY" not in reminders.stderr + exported.stderr
    assert (demo_checkout / "var" / "demo.env").is_file()


def test_without_demo_settings_a_command_names_where_the_secret_key_goes(tmp_path):
    env = child_env(ADMISSION_ENV_FILE="")
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr
    assert "make demo" in result.stderr
