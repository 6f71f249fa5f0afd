"""Values read from rows that seldom change (the working calendar, the time limits, a banner's bodies), kept in the
shared cache under a version that every change of those rows bumps (receivers.py, and the services that change them
in bulk), so that a new task needs no query for them.

Processes sharing the cache (Redis) see a change at once; a process with a cache of its own (no Redis) may use the
old value for `seconds` at most. The version is bumped when the rows change and again after the commit: what another
process read and kept between the two (the rows before the commit) is not used after it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache as shared_cache
from django.db import transaction

T = TypeVar("T")


class VersionedCache(Generic[T]):
    def __init__(self, name: str, seconds: int) -> None:
        self.name = name
        self.seconds = seconds
        self._version_key = f"admission:{name}:version"
        # The values this process has used, by key, with their version and until when (`seconds` after it had them):
        # only the version is read from the shared cache then, not the value (a second round trip to Redis, and
        # unpickling it). A version starts anew at a number never used before (the time), so that a version lost
        # with the shared cache (cleared, expired) is never one of a value kept here.
        self._here: dict[object, tuple[object, float, T]] = {}

    def get(self, key: object, read: Callable[[], T]) -> T:
        """The value kept for `key` under the current version, else `read()` kept (never None). The value is shared
        by every caller in the process: never change it."""
        version = shared_cache.get_or_set(self._version_key, time.time_ns, None)
        now = time.monotonic()
        here = self._here.get(key)
        if here is not None and here[0] == version and now < here[1]:
            return here[2]
        kept_as = f"admission:{self.name}:{version}:{key}"
        value: T | None = shared_cache.get(kept_as)
        if value is None:
            value = read()
            shared_cache.set(kept_as, value, self.seconds)
        self._here[key] = (version, now + self.seconds, value)
        return value

    def forget(self) -> None:
        """After the rows changed: every value is read again, now and after the commit."""
        self._bump()
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        try:
            shared_cache.incr(self._version_key)
        except ValueError:  # not there (expired, cleared, a new cache)
            shared_cache.set(self._version_key, time.time_ns(), None)
