from pathlib import Path

import pytest


def pytest_sessionstart(session):
    """Plain `pytest` on a fresh clone: the English catalogue (*.mo is not committed) is compiled when missing or older
    than its .po, and any translations Django loaded before that are dropped."""
    from django.conf import settings
    from django.utils.translation.reloader import translation_file_changed

    from tests.support import compile_stale_catalogues

    for locale_dir in settings.LOCALE_PATHS:
        for po in compile_stale_catalogues(Path(locale_dir)):
            translation_file_changed(sender=None, file_path=po.with_suffix(".mo"))


@pytest.fixture(autouse=True)
def _official_language():
    """A request that switches to English leaves it active in this thread; each test starts in Chinese."""
    from django.utils import translation

    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit windows (web/ratelimit.py) live in the cache: each test starts with none spent."""
    from django.core.cache import cache

    from web import ratelimit

    cache.clear()
    ratelimit._in_this_process.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    # Keys' passphrase files and the demo CA stay in the test's own directory: a secret left in the checkout's var/
    # by one test (create_demo_pki) would open, or fail to open, another test's key of the same organization id.
    settings.ADMISSION_SIGNING_SECRETS_DIR = tmp_path / "secrets"
    settings.ADMISSION_DEMO_CA_DIR = tmp_path / "demo-ca"


@pytest.fixture
def banner(db):
    from tests.support import build_banner

    return build_banner(code="150721", name="阿荣旗", short="旗")


@pytest.fixture
def other_banner(db):
    from tests.support import build_banner

    return build_banner(code="150722", name="莫力达瓦达斡尔族自治旗", short="莫旗", prefix="mq")


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory):
    """A migrated SQLite file with a small banner and a case out for opinions, made once by manage.py in a child
    process; tests that run commands or servers as separate processes copy it."""
    from tests.processes import seeded_sqlite

    return seeded_sqlite(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def migrated(transactional_db):
    """`migrated(targets)`: the database migrated to `targets` (forwards or backwards), returning the models as they
    were there; the latest schema again after the test, for the next tests."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def to(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield to
    to(MigrationExecutor(connection).loader.graph.leaf_nodes())
