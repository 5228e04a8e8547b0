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
