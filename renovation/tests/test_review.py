"""Renovation's figures for the management review's input pack, for a period: permits issued, violations found and
rectified, acceptances passed at the first inspection, deposits refunded."""
import datetime as dt

import pytest
from django.utils import timezone

from qms.demo import DEMO_PASSWORD
from qms.registry import review_inputs
from qms.workflow import perform
from renovation.models import ApplicationStatus as S
from renovation.models import Payer, ViolationKind
from renovation.services import completion, site
from renovation.tests.test_completion import permitted, photo, reinspect, to_reinspection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def renovation_figures(start, end) -> dict:
    [figures] = [figures for entry, figures in review_inputs(start, end) if entry.key == "renovation"]
    return {str(figure.label): (figure.value, str(figure.note)) for figure in figures}


def test_the_management_review_gets_the_renovation_figures_of_the_period(people):
    first = permitted(people, "101")
    violation = site.report_violation(first, people["propassistant"], kind=ViolationKind.OUTSIDE_HOURS,
                                      description="晚上 22:00 电钻施工")
    site.close_violation(violation, people["propassistant"], note="已按规定时间施工", photo=photo("after.png"),
                         password=DEMO_PASSWORD)
    to_reinspection(people, first)  # passed at the first acceptance inspection
    reinspect(people, first)
    perform(first, S.REFUND_PAYMENT, people["propmanager"], password=DEMO_PASSWORD)
    completion.pay_refunds(first, people["financeclerk"], receipts={Payer.CONTRACTOR: "TK-1", Payer.OWNER: "TK-2"})
    second = permitted(people, "102")
    perform(second, S.ACCEPTANCE, people["propassistant"])
    completion.record_inspection(second, people["engsupervisor"], passed=False, participants="工程主管",
                                 findings="阳台擅自封闭", rectification_items="拆除封闭窗",
                                 rectification_due=timezone.localdate() + dt.timedelta(days=7))
    today = timezone.localdate()
    assert renovation_figures(today - dt.timedelta(days=30), today) == {
        "发放施工许可证": (2, ""), "发现违章": (1, ""), "违章整改关闭": (1, ""),
        "一次验收合格": ("1 / 2", "一次验收合格率 50%"), "退还押金": ("¥5,000.00", "1 户装修")}
    # a period before any of it: nothing
    assert renovation_figures(today - dt.timedelta(days=60), today - dt.timedelta(days=31)) == {
        "发放施工许可证": (0, ""), "发现违章": (0, ""), "违章整改关闭": (0, ""), "一次验收合格": ("0 / 0", ""),
        "退还押金": ("¥0.00", "")}
