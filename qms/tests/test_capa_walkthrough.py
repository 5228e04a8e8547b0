"""What users hit walking through a CAPA (issue 14): due times, rounds and their signatures, planning hints,
past due dates, attachments on a closed CAPA."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from qms import deadlines
from qms.deadlines import Deadline
from qms.tests.capa_helpers import raised_capa
from qms.tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


# --- one source of truth for a due time ----------------------------------------------------------------------
def test_detail_list_and_pdf_show_the_due_time_of_the_open_deadline_row(people, login):
    with time_machine.travel(dt.datetime(2026, 12, 4, 9, 0, tzinfo=SH), tick=False):
        capa = raised_capa(people)
        computed = Deadline.objects.get(object_id=capa.pk, kind="plan").due_at
        assert computed == dt.datetime(2026, 12, 8, 9, 0, tzinfo=SH)
        # The deadline row is what reminds and escalates; when it moves (re-dated, backdated by the demo, …)
        # every page must show its time, not what was computed when the CAPA was raised.
        deadlines.open_deadline(capa, "plan", "制定纠正措施计划", people["production"],
                                dt.datetime(2026, 12, 2, 17, 30, tzinfo=SH))
        client = login(people["quality"])
        detail = client.get(capa.get_absolute_url()).content.decode()
        listing = client.get(reverse("qms:capa_list"), {"scope": "all"}).content.decode()
        pdf = pdf_text(client.get(reverse("qms:capa_pdf", args=[capa.pk])).content)
    assert "计划提交期限" in detail and "2026-12-02 17:30" in detail and "已逾期" in detail
    assert "2026-12-08" not in detail
    assert "2026-12-02 17:30" in listing and "2026-12-08" not in listing
    assert "2026-12-02 17:30" in pdf and "2026-12-08" not in pdf


def test_the_plan_overdue_filter_reads_the_deadline_row(people, login):
    with time_machine.travel(dt.datetime(2026, 12, 4, 9, 0, tzinfo=SH), tick=False):
        late = raised_capa(people, title="已逾期的计划")
        raised_capa(people, title="未逾期的计划")
        deadlines.open_deadline(late, "plan", "制定纠正措施计划", people["production"],
                                dt.datetime(2026, 12, 2, 17, 30, tzinfo=SH))
        page = login(people["quality"]).get(reverse("qms:capa_list"), {"scope": "all", "overdue": "true"})
    assert [row.record.title for row in page.context["table"].page.object_list] == ["已逾期的计划"]
