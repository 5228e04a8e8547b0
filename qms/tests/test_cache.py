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


@pytest.mark.redis
def test_a_value_kept_while_its_counter_stands_is_read_with_the_counter_in_one_round_trip(fresh_breaker, settings,
                                                                                            monkeypatch):
    import redis

    from django.core.cache import cache

    from qms.cache import bump, kept_while

    url = settings.REDIS_URL.rsplit("/", 1)[0] + "/14"
    settings.CACHES = {"default": {"BACKEND": "qms.cache.PortalRedisCache", "LOCATION": url,
                                   "KEY_PREFIX": "qms-test-kept-while"}}
    cache.delete_many(["counter", "panel"])
    computed = []

    def compute():
        computed.append(len(computed) + 1)
        return f"panel {computed[-1]}"

    assert kept_while("counter", "panel", 30, compute) == "panel 1"
    commands = []
    real = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command",
                        lambda self, *args, **kwargs: commands.append(args[0]) or real(self, *args, **kwargs))
    assert kept_while("counter", "panel", 30, compute) == "panel 1" and computed == [1]
    assert commands == ["MGET"]  # the counter and the value together

    bump("counter")  # a choice changed: computed again at the next read, then kept again
    assert kept_while("counter", "panel", 30, compute) == "panel 2"
    assert kept_while("counter", "panel", 30, compute) == "panel 2"
    other_worker = PortalRedisCache(url, {"KEY_PREFIX": "qms-test-kept-while"})
    other_worker.incr("counter")  # another worker's change drops it too
    assert kept_while("counter", "panel", 30, compute) == "panel 3" and computed == [1, 2, 3]
    cache.delete_many(["counter", "panel"])


def test_without_redis_a_value_kept_while_its_counter_stands_is_computed_each_time(fresh_breaker, settings):
    from django.core.cache import cache

    from qms.cache import bump, kept_while

    settings.CACHES = {"default": {"BACKEND": "qms.cache.PortalRedisCache", "LOCATION": "redis://127.0.0.1:1/1",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    assert cache.get("counter") is None
    bump("counter")  # no error
    assert [kept_while("counter", "panel", 30, lambda: "fresh") for _ in range(2)] == ["fresh", "fresh"]


def test_a_value_kept_for_no_seconds_is_computed_each_time_without_asking_the_cache(settings, monkeypatch):
    from django.core.cache import cache

    from qms.cache import kept_while

    monkeypatch.setattr(cache, "get_many", lambda *args, **kwargs: pytest.fail("the cache was read"))
    computed = iter(["first", "second"])
    assert [kept_while("counter", "panel", 0, lambda: next(computed)) for _ in range(2)] == ["first", "second"]
