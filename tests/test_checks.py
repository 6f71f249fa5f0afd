"""The system checks warn when the machine cannot render Chinese documents quickly."""

from unittest import mock

from admission import checks


def test_checks_are_silent_on_a_machine_with_cjk_fonts_and_the_harfbuzz_subsetter():
    assert checks.document_rendering_prerequisites(None) == []


def test_missing_cjk_font_and_subsetter_are_reported_with_the_debian_packages_to_install():
    with mock.patch.object(checks, "_cjk_fonts", return_value=[]), \
            mock.patch.object(checks.ctypes.util, "find_library", return_value=None):
        warnings = checks.document_rendering_prerequisites(None)
    assert [w.id for w in warnings] == ["admission.W001", "admission.W002"]
    assert "fonts-noto-cjk" in warnings[0].hint and "libharfbuzz-subset0" in warnings[1].hint
