"""Reminder tick benchmark (a script, not a test).

    .venv/bin/python benchmarks/bench_tick.py [--open 100000] [--due 1000]

Creates a throwaway database (QMS_TEST_DB, default ``bench_qms_tick``) on the PostgreSQL the test settings
find, fills it with ``--open`` open deadlines of which ``--due`` have reached their next action, and times:
  1. the tick that sends the due reminders (one notification and one notice row each);
  2. a second tick right after (nothing due: what a tick costs on a quiet 5-minute beat);
  3. the same quiet tick with 10× fewer open deadlines: it should cost the same (cost ∝ due, not ∝ open).
Prints the figures and the query plan of the tick's selection (the partial index on next_action_at).
"""
import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.test_settings")
os.environ.setdefault("QMS_TEST_DB", "bench_qms_tick")

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from qms import deadlines  # noqa: E402
from qms.deadlines import Deadline, DeadlineNotice  # noqa: E402
from qms.demo import create_demo_people  # noqa: E402
from qms.notifications import Notification  # noqa: E402


def fill(open_count: int, due_count: int, now: dt.datetime) -> None:
    people = create_demo_people()
    users = list(people.values())
    record_type = ContentType.objects.get_for_model(type(users[0]))
    rows = []
    for i in range(open_count):
        due = i < due_count
        due_at = now + dt.timedelta(hours=2) if due else now + dt.timedelta(days=3 + i % 30)
        deadline = Deadline(content_type=record_type, object_id=users[i % len(users)].pk, kind="bench",
                            title=f"基准期限 {i}", responsible=users[i % len(users)], due_at=due_at,
                            remind_before=dt.timedelta(hours=4), escalate_after=dt.timedelta(days=1))
        deadline.next_action_at = deadlines.next_action_time(deadline)
        rows.append(deadline)
        if len(rows) == 10000:
            Deadline.objects.bulk_create(rows)
            rows = []
    Deadline.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE qms_deadline")


def timed_tick(now) -> tuple[float, int]:
    start = time.perf_counter()
    sent = deadlines.tick(now=now)
    return time.perf_counter() - start, sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        now = timezone.now()
        fill(args.open, args.due, now)
        seconds, sent = timed_tick(now)
        print(f"tick with {args.open:,} open deadlines, {args.due:,} due: {seconds:.2f} s, {sent:,} reminders sent "
              f"({seconds / max(sent, 1) * 1000:.2f} ms each); notices {DeadlineNotice.objects.count():,}, "
              f"notifications {Notification.objects.count():,}")
        quiet, sent_again = timed_tick(now)
        print(f"second tick, nothing due: {quiet * 1000:.1f} ms, {sent_again} sent (exactly once)")
        Deadline.objects.filter(pk__in=Deadline.objects.filter(kind="bench").order_by("pk")
                                .values("pk")[: args.open * 9 // 10]).delete()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE qms_deadline")
        small, _sent = timed_tick(now)
        print(f"quiet tick with {Deadline.objects.count():,} open deadlines: {small * 1000:.1f} ms")
        selection = (Deadline.objects.filter(state=Deadline.State.OPEN, next_action_at__lte=now, pk__gt=0)
                     .order_by("pk").values_list("pk", flat=True)[:500])
        print("plan of the tick's selection:", " / ".join(line.strip() for line in selection.explain().splitlines()))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
