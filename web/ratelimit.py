"""Per-address rate limits for the anonymous pages, counted in Django's cache in fixed windows.

The count lives in the default cache: Redis when the installation has one (config/settings.py), so that every web
process counts against the same budget; each process's memory otherwise. Should Redis fail, each process goes on
counting in its own memory rather than letting everything through. The application holds its limit on its own; the
proxy's limit in front of it (deploy/nginx) is a second line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import BaseCache, cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from .audit import client_address

logger = logging.getLogger(__name__)
_in_this_process = LocMemCache("admission-ratelimit-fallback", {"MAX_ENTRIES": 100_000})


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        try:
            count, seconds = (int(part) for part in text.split("/"))
        except ValueError as error:
            raise ImproperlyConfigured(f"A rate is '<requests>/<seconds>', not {text!r}.") from error
        if count < 1 or seconds < 1:
            raise ImproperlyConfigured(f"A rate needs at least one request in at least one second, not {text!r}.")
        return cls(count, seconds)


def over_limit(request: HttpRequest, *, scope: str, rate: str) -> int | None:
    """Count this request against its address's window; return the seconds to wait when it is over the limit."""
    limit = Rate.parse(rate)
    now = time.time()
    window = int(now // limit.seconds)
    # The address as the audit records it: the peer, or X-Real-IP when the peer is our own proxy (deploy/nginx).
    key = f"ratelimit:{scope}:{client_address(request) or 'unknown'}:{limit.seconds}:{window}"
    try:
        count = _count(cache, key, timeout=limit.seconds + 1)
    except Exception:  # the shared cache is down: count here rather than not at all
        logger.warning("rate-limit cache unavailable; counting in this process", exc_info=True)
        count = _count(_in_this_process, key, timeout=limit.seconds + 1)
    if count <= limit.count:
        return None
    return max(1, int((window + 1) * limit.seconds - now))


def _count(store: BaseCache, key: str, *, timeout: int) -> int:
    store.add(key, 0, timeout=timeout)
    try:
        return store.incr(key)
    except ValueError:  # expired between add and incr
        store.add(key, 1, timeout=timeout)
        return 1
