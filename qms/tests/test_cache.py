"""The cache every worker shares: Redis, and a Redis that does not answer costs no page (qms.cache)."""
import time

import pytest
from django.conf import settings

from qms.cache import PortalRedisCache


@pytest.fixture
def fresh_breaker():
    PortalRedisCache._down_until = 0.0
    yield
    PortalRedisCache._down_until = 0.0


def _cache(url):
    return PortalRedisCache(url, {"KEY_PREFIX": "qms-test", "OPTIONS": {"socket_connect_timeout": 0.5,
                                                                        "socket_timeout": 0.5}})


@pytest.mark.redis
def test_what_one_worker_caches_another_reads(fresh_breaker):
    url = settings.REDIS_URL.rsplit("/", 1)[0] + "/14"
    one, other = _cache(url), _cache(url)
    one.set("list-counts:x", (3, ["grade"]), 30)
    assert other.get("list-counts:x") == (3, ["grade"])
    one.set("generation", 1, None)
    assert other.incr("generation") == 2 and one.get("generation") == 2
    one.delete("list-counts:x")
    one.delete("generation")


def test_a_redis_that_does_not_answer_is_a_miss_and_is_not_waited_for_again(fresh_breaker):
    cache = _cache("redis://127.0.0.1:1/1")  # nothing listens on port 1
    assert cache.get("anything", "default") == "default"
    cache.set("anything", 1)  # no error
    assert cache.incr("generation") == 0
    started = time.monotonic()
    for _ in range(100):
        assert cache.get("anything") is None
    assert time.monotonic() - started < 0.1  # the breaker is open: Redis is not asked again
