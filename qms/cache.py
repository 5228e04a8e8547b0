"""The cache every worker shares (Redis), which never costs a page when Redis does not answer.

Several gunicorn workers serve the portal: what one caches (a list's counts, and the version that drops them when a
record changes) must be seen by the others, so the cache is Redis, not each process's memory. A Redis that is down
or slow is a cache miss: the page is computed as if nothing were cached, and Redis is left alone for
``RETRY_AFTER`` seconds instead of being waited for on every call.
"""
import logging
import time

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)
RETRY_AFTER = 15.0


class PortalRedisCache(RedisCache):
    _down_until = 0.0

    def _call(self, method: str, default, *args, **kwargs):
        if time.monotonic() < PortalRedisCache._down_until:
            return default
        try:
            return getattr(super(), method)(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any Redis failure is a miss, never an error page
            PortalRedisCache._down_until = time.monotonic() + RETRY_AFTER
            logger.warning("Cache unavailable (%s); computing without it for %.0f s", error, RETRY_AFTER)
            return default

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def set(self, key, value, timeout=None, version=None):
        return self._call("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._call("set_many", [], data, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def incr(self, key, delta=1, version=None):
        if time.monotonic() < PortalRedisCache._down_until:
            return 0
        try:
            return super().incr(key, delta, version)
        except ValueError:
            raise  # the key does not exist: the caller sets it
        except Exception as error:  # noqa: BLE001
            PortalRedisCache._down_until = time.monotonic() + RETRY_AFTER
            logger.warning("Cache unavailable (%s); computing without it for %.0f s", error, RETRY_AFTER)
            return 0

    def clear(self):
        return self._call("clear", False)


# --- what a page reads on every request and keeps until it changes -----------------------------------------------
def kept(key: str, seconds: int, compute):
    """``compute()``, kept ``seconds`` in the shared cache under ``key`` (0: computed on every call). Whoever changes
    what it reads calls ``forget(key)``."""
    from django.core.cache import cache

    value = cache.get(key) if seconds else None
    if value is None:
        value = compute()
        if seconds:
            cache.set(key, value, seconds)
    return value


def forget(key: str) -> None:
    """Drop what ``kept`` keeps under ``key``: now, and again when the change commits (a page that read the old
    value in between would otherwise keep it)."""
    from django.core.cache import cache
    from django.db import transaction

    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


# --- what stays valid while a counter stands still ---------------------------------------------------------------
def bump(counter_key: str) -> None:
    """Move the counter ``counter_key`` on: what ``kept_while`` keeps under it is computed again on its next read."""
    from django.core.cache import cache

    try:
        cache.incr(counter_key)
    except ValueError:  # not there yet (or dropped): it starts at 1, never again at the 0 of "not there"
        cache.set(counter_key, 1, None)


def kept_while(counter_key: str, key: str, seconds: int, compute):
    """``compute()``, kept ``seconds`` under ``key`` (0: computed on every call, as ``kept``) while the counter
    ``counter_key`` stands where it stood when it was computed (``bump(counter_key)`` drops it for every key at once).
    The counter and the value are read together, in one round trip: a key that named the counter's value took two on
    every page."""
    from django.core.cache import cache

    if not seconds:
        return compute()
    found = cache.get_many([counter_key, key])
    counter = found.get(counter_key, 0)
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == counter:
        return stored[1]
    value = compute()
    cache.set(key, (counter, value), seconds)
    return value
