"""The system checks: a warning when the machine cannot render Chinese documents quickly, and an error when the
public address printed on documents is missing or unreachable outside the demo."""

from unittest import mock

import pytest
from django.core import checks as django_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from admission import checks


def test_checks_are_silent_on_a_machine_with_cjk_fonts_and_the_harfbuzz_subsetter():
    assert checks.document_rendering_prerequisites(None) == []


def test_missing_cjk_font_and_subsetter_are_reported_with_the_debian_packages_to_install():
    with (
        mock.patch.object(checks, "_cjk_fonts", return_value=[]),
        mock.patch.object(checks.ctypes.util, "find_library", return_value=None),
    ):
        warnings = checks.document_rendering_prerequisites(None)
    assert [w.id for w in warnings] == ["admission.W001", "admission.W002"]
    assert "fonts-noto-cjk" in warnings[0].hint and "libharfbuzz-subset0" in warnings[1].hint


# issue 11 part 2: the public address is never wrong. Outside the demo the app refuses to start (a system check error)
# while ADMISSION_PUBLIC_URL is unset or points where document recipients cannot go.

UNREACHABLE = [
    "",
    "http://127.0.0.1:8000",
    "http://127.8.9.10",
    "http://localhost:8000",
    "http://LOCALHOST.",
    "http://a.localhost",
    "http://10.1.2.3",
    "http://172.20.0.1",
    "http://192.168.1.5",
    "http://169.254.1.1",
    "http://0.0.0.0:8000",
    "http://100.64.1.1",
    "http://[::1]:8000",
    "http://[fe80::1]",
    "http://[fd00::1]",
    "http://[::ffff:192.168.0.1]",
    "admission.example.gov.cn",
    "ftp://admission.example.gov.cn",
    "https://[::1",
    "https://",
]
REACHABLE = [
    "https://admission.arun.gov.cn",
    "https://admission.arun.gov.cn:8443/",
    "http://202.99.96.68",
    "https://[2400:da00::6666]",
]


@pytest.mark.parametrize("url", UNREACHABLE)
def test_public_address_unset_or_loopback_private_or_link_local_is_an_error_outside_the_demo(settings, url):
    settings.DEBUG = False
    settings.ADMISSION_PUBLIC_URL = url
    errors = checks.public_address(None)
    assert [e.id for e in errors] == ["admission.E001"]
    assert errors[0].level == django_checks.ERROR
    assert errors[0].is_serious()
    assert (url or "unset") in errors[0].msg and "https://admission.example.gov.cn" in errors[0].hint


@pytest.mark.parametrize("url", REACHABLE)
def test_public_names_and_public_addresses_are_accepted(settings, url):
    settings.DEBUG = False
    settings.ADMISSION_PUBLIC_URL = url
    assert checks.public_address(None) == []


def test_the_demo_may_point_at_this_machine(settings):
    settings.DEBUG = True
    settings.ADMISSION_PUBLIC_URL = "http://127.0.0.1:8123"
    assert checks.public_address(None) == []


def test_manage_py_refuses_to_start_without_a_public_address(settings):
    """The check runs with every management command and before gunicorn serves (deploy/gunicorn.conf.py)."""
    settings.DEBUG = False
    settings.ADMISSION_PUBLIC_URL = "http://127.0.0.1:8000"
    with pytest.raises(SystemCheckError, match="admission.E001"):
        call_command("check")
    settings.ADMISSION_PUBLIC_URL = "https://admission.arun.gov.cn"
    call_command("check")


def test_a_plain_http_public_address_is_a_deployment_warning(settings):
    settings.DEBUG = False
    settings.ADMISSION_PUBLIC_URL = "http://admission.arun.gov.cn"
    assert [w.id for w in checks.public_address_is_encrypted(None)] == ["admission.W003"]
    settings.ADMISSION_PUBLIC_URL = "https://admission.arun.gov.cn"
    assert checks.public_address_is_encrypted(None) == []
