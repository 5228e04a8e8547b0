"""Every URL of the renovation app answers anonymous → login, a user who may not see the record → 404, one who
may → 200. The property team, engineering, finance, the GM and the MR see every unit and renovation; a
salesperson sees none."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from renovation.models import ActionKind, ApplicationStatus as S, ViolationKind
from renovation.services import completion, site
from renovation.tests import factories
from qms.workflow import perform
from qms.tests.cases import RecordUrls, UrlWalk

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40

INSIDER, OUTSIDER = "propmanager", "sales2"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submitted(people):
    return factories.submit(people, factories.unit("101"))


def permitted(people):
    return factories.advance(people, submitted(people), S.PERMITTED)


def returned(people):
    application = submitted(people)
    perform(application, S.RETURNED, people["engsupervisor"], reason="缺少防水做法说明")
    return application


def accepting(people):
    application = permitted(people)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    return application


def refunding(people):
    return factories.advance(people, submitted(people), S.REFUND_PAYMENT)


def worker(people):
    return completion.register_worker(permitted(people), people["propassistant"], name="李师傅",
                                      id_number=factories.VALID_ID, phone="13912345678", trade="泥水工",
                                      photo=SimpleUploadedFile("worker.png", PNG, content_type="image/png"))


def failed_acceptance(people):
    application = permitted(people)
    perform(application, S.ACCEPTANCE, people["propassistant"])
    return completion.record_inspection(
        application, people["engsupervisor"], passed=False, participants="工程主管、物业助理", findings="卫生间闭水试验渗漏",
        rectification_items="1. 卫生间重做防水", rectification_due=timezone.localdate() + dt.timedelta(days=5),
        damage_amount=Decimal("380.50"), damage_note="搬运材料碰坏电梯轿厢")


def violation(people):
    inspection = site.record_inspection(
        permitted(people), people["propassistant"],
        checks={**{name: True for name in site.SiteInspection.CHECK_FIELDS}, "within_hours": False},
        violation_kind=ViolationKind.OUTSIDE_HOURS, violation_description="中午 12:30 电钻施工，邻居投诉")
    return inspection.violations.get()


def violation_notice(people):
    return site.take_action(violation(people), people["propassistant"], kind=ActionKind.NOTICE, note="限期整改",
                            rectify_by=timezone.localdate() + dt.timedelta(days=3))


WALK = UrlWalk(
    "renovation",
    pages=("list", "create", "site_inspections", "violation_list", "dashboard", "units"),
    records=[
        RecordUrls(make=submitted, insider=INSIDER, outsider=OUTSIDER, pages=("detail", "pdf"),
                   actions=("checklist", "identity")),
        RecordUrls(make=returned, insider=INSIDER, outsider=OUTSIDER, pages=("edit",)),
        RecordUrls(make=accepting, insider=INSIDER, outsider=OUTSIDER, actions=("inspection_create",)),
        RecordUrls(make=refunding, insider="financeclerk", outsider=OUTSIDER, actions=("refund",)),
        RecordUrls(make=permitted, insider=INSIDER, outsider=OUTSIDER,
                   pages=("permit_pdf", "dossier_pdf", "passes_pdf"),
                   actions=("ledger_add", "utilities_on", "worker_create", "claim_create",
                            "site_inspection_create", "baseline_photos_add")),
        RecordUrls(make=lambda people: permitted(people).ledger.first(), insider=INSIDER, outsider=OUTSIDER,
                   kwargs=lambda entry: {"pk": entry.application_id, "entry_pk": entry.pk}, actions=("ledger_reverse",)),
        RecordUrls(make=worker, insider=INSIDER, outsider=OUTSIDER,
                   kwargs=lambda w: {"pk": w.application_id, "worker_pk": w.pk},
                   actions=("worker_return", "worker_lost", "worker_replace")),
        RecordUrls(make=failed_acceptance, insider=INSIDER, outsider=OUTSIDER,
                   kwargs=lambda i: {"pk": i.application_id, "inspection_pk": i.pk},
                   pages=("rectification_notice_pdf",)),
        RecordUrls(make=violation, insider=INSIDER, outsider=OUTSIDER, pages=("violation_detail",),
                   actions=("violation_action", "violation_close")),
        RecordUrls(make=violation_notice, insider=INSIDER, outsider=OUTSIDER,
                   kwargs=lambda action: {"pk": action.violation_id, "action_pk": action.pk},
                   pages=("violation_notice_pdf",)),
        RecordUrls(make=lambda people: factories.unit("102"), insider=INSIDER, outsider=OUTSIDER,
                   pages=("unit_detail",)),
    ],
)


@pytest.mark.parametrize("case", WALK.cases())
def test_url(case, people, client):
    case.check(people, client)


def test_every_url_is_declared():
    WALK.assert_complete()
