"""Per-address rate limits for the anonymous pages, counted in Django's cache in fixed windows.

The count lives in the default cache: per process with the local-memory cache, shared by every worker when the cache
is Redis (production). The app holds its limit on its own; a proxy's limit in front of it is a second line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from .audit import client_address


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
    cache.add(key, 0, timeout=limit.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=limit.seconds + 1)
        count = 1
    if count <= limit.count:
        return None
    return max(1, int((window + 1) * limit.seconds - now))
