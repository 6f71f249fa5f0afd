"""admission/versioned_cache.py: a value is read from the rows once per version, used by the process until the
version changes, and never served after its version was lost with the shared cache."""

from django.core.cache import cache

from admission.versioned_cache import VersionedCache


def counting_reader(values: list[str]):
    """A read() that returns the next of `values` and counts its calls."""
    calls = []

    def read() -> str:
        calls.append(1)
        return values[len(calls) - 1]

    return read, calls


def test_a_value_is_read_once_per_version_and_again_after_a_change(db, django_capture_on_commit_callbacks):
    kept = VersionedCache[str]("test_once", 60)
    read, calls = counting_reader(["before", "after"])
    assert [kept.get(7, read) for _ in range(3)] == ["before"] * 3 and len(calls) == 1
    with django_capture_on_commit_callbacks(execute=True):
        kept.forget()
    assert kept.get(7, read) == "after" and len(calls) == 2


def test_a_version_lost_with_the_shared_cache_never_serves_a_value_kept_before(db):
    """The cache cleared (or its version key expired) while the rows changed without a bump reaching it: the
    process reads them again rather than use what it kept under the version that was lost."""
    kept = VersionedCache[str]("test_lost", 60)
    read, calls = counting_reader(["before", "after"])
    assert kept.get(7, read) == "before"
    cache.clear()
    assert kept.get(7, read) == "after" and len(calls) == 2


def test_a_process_without_a_shared_cache_reads_again_after_the_seconds(db, monkeypatch):
    """Without Redis each process has a cache of its own and sees no other's bump: it uses a value `seconds` at
    most."""
    kept = VersionedCache[str]("test_seconds", 60)
    read, calls = counting_reader(["before", "after"])
    now = 1000.0
    monkeypatch.setattr("admission.versioned_cache.time.monotonic", lambda: now)
    assert kept.get(7, read) == "before"
    now += 59
    assert kept.get(7, read) == "before"
    now += 2
    cache.delete(f"admission:test_seconds:{cache.get('admission:test_seconds:version')}:7")  # expired there too
    assert kept.get(7, read) == "after" and len(calls) == 2
