
import pytest


@pytest.fixture(autouse=True)
def _official_language():
    """A request that switches to English leaves it active in this thread; each test starts in Chinese."""
    from django.utils import translation

    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def banner(db):
    from tests.support import build_banner

    return build_banner(code="150721", name="阿荣旗", short="旗")


@pytest.fixture
def other_banner(db):
    from tests.support import build_banner

    return build_banner(code="150722", name="莫力达瓦达斡尔族自治旗", short="莫旗", prefix="mq")
