"""During the works (PROCEDURES.md §4; seed 5.3, 5.5): the daily round of every active site 《装修巡视检查记录表》,
the reminder of the sites not inspected yet today, and violations with their measures — criticism and immediate
correction, a 《违反装修规定整改通知书》 with a deadline, stopping water and power or claiming compensation (these
two with the property manager's signature). An open violation holds the renovation's completion, acceptance and
refund (``VIOLATIONS_HOLD``, a ``qms.blocks`` declaration)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qms import audit, deadlines, workflow
from qms.attachments import attach, validate_upload
from qms.notifications import notify
from qms.numbering import next_number
from qms.people import Role, User
from qms.signatures import Meaning, check_password_or_refuse, sign
from qms.workdays import is_working_day
from qms.refusals import Refused
from qms.workflow import Move
from renovation.models import (SITE_STATES, ActionKind, Application, ApplicationStatus, BaselinePhoto, ClaimSource,
                               InspectionReminder, SiteInspection, Violation, ViolationAction, ViolationStatus)
from renovation.services import completion
from renovation.services.fees import check_amount
from renovation.services.roles import SITE_PATROL_ROLES, require

SIGNED_ACTIONS = (ActionKind.STOP_UTILITIES, ActionKind.COMPENSATION)  # seed 5.5.1.4–5: 须报物业经理批准
REMINDER_TIME = dt.time(16, 0)  # the day's reminder, early enough to go round before the end of work
PHOTO_TYPES = completion.PHOTO_TYPES
NOTICE_DEADLINE_KIND = "violation_rectification"


def active_sites():
    """The renovations whose works are on site: each is inspected at least once every working day."""
    return Application.objects.filter(status__in=SITE_STATES)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def inspected_on(day: dt.date):
    start, end = _day_bounds(day)
    return SiteInspection.objects.filter(application=OuterRef("pk"), inspected_at__gte=start, inspected_at__lt=end)


def sites_with_coverage(day: dt.date | None = None):
    """The active sites, each annotated ``inspected`` (a round on ``day``, default today); one query."""
    day = day or timezone.localdate()
    return (active_sites().select_related("unit__building__project")
            .annotate(inspected=Exists(inspected_on(day))).order_by("inspected", "unit__building__project__name",
                                                                     "unit__building__name", "unit__number"))


def _check_photos(photos) -> None:
    for photo in photos:
        ext = validate_upload(photo)
        if ext not in PHOTO_TYPES:
            raise Refused(gettext("现场照片须为图片文件（JPG、PNG 或 WEBP）：%(name)s") % {"name": photo.name})


def record_inspection(application: Application, by: User, *, checks: dict[str, bool], findings: str = "",
                      photos=(), violation_kind: str = "", violation_description: str = "") -> SiteInspection:
    """A round of the site; a violation found on it is recorded with it."""
    require(by, "renovation.inspect_site")
    if application.status not in SITE_STATES:
        raise Refused(gettext("只有施工中的装修可以登记巡查。"))
    unknown = set(checks) - set(SiteInspection.CHECK_FIELDS)
    if unknown:
        raise ValueError(f"unknown checks {unknown}")
    photos = list(photos)
    _check_photos(photos)
    if violation_kind and not violation_description.strip():
        raise Refused(gettext("请填写违章情况。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记装修巡视检查")):
        inspection = SiteInspection.objects.create(application=application, inspector=by, findings=findings.strip(),
                                                   **checks)
        for photo in photos:
            attach(inspection, photo, by=by, description=gettext("巡查照片"))
        if violation_kind:
            _create_violation(application, by, kind=violation_kind, description=violation_description,
                              inspection=inspection)
    return inspection


def _create_violation(application, by, *, kind, description, inspection=None) -> Violation:
    violation = Violation.objects.create(
        number=next_number("renovation_violation", prefix_default="WZ", name_default="装修违章"),
        application=application, inspection=inspection, kind=kind, description=description.strip(), found_by=by)
    notify(application.received_by, lambda: gettext("装修违章：%(unit)s %(number)s") % {
        "unit": application.unit, "number": violation.number}, violation.description,
        link=violation.get_absolute_url())
    return violation


def report_violation(application: Application, by: User, *, kind: str, description: str) -> Violation:
    require(by, "renovation.inspect_site")
    if application.status not in SITE_STATES:
        raise Refused(gettext("只有施工中的装修可以登记违章。"))
    if not description.strip():
        raise Refused(gettext("请填写违章情况。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("登记装修违章")):
        return _create_violation(application, by, kind=kind, description=description)


def _notice_due(rectify_by: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(rectify_by, dt.time(17, 30)))


def take_action(violation: Violation, by: User, *, kind: str, note: str, rectify_by: dt.date | None = None,
                amount: Decimal | None = None, password: str = "") -> ViolationAction:
    """A measure on an open violation (seed 5.5.1). A notice opens its rectification deadline (reminders, then
    escalation to the property manager); stopping water/power and compensation are signed by the property manager,
    and a compensation becomes a claim against the deposits."""
    if violation.status != ViolationStatus.OPEN:
        raise Refused(gettext("违章 %(number)s 已关闭。") % {"number": violation.number})
    note = (note or "").strip()
    if not note:
        raise Refused(gettext("请填写处理说明。"))
    if kind in SIGNED_ACTIONS:
        if not (by.is_superuser or by.has_role(Role.PROPERTY_MANAGER)):
            raise Refused(gettext("停水停电、要求赔偿须由物业经理批准并签名。"))
    else:
        require(by, "renovation.inspect_site")
    if kind == ActionKind.NOTICE and (rectify_by is None or rectify_by < timezone.localdate()):
        raise Refused(gettext("请填写不早于今天的整改期限。"))
    if kind == ActionKind.COMPENSATION:
        if amount is None:
            raise Refused(gettext("请填写赔偿金额。"))
        check_amount(amount)
    application = violation.application
    with transaction.atomic(), audit.context(user=by, reason=gettext("违章处理：%(kind)s") % {
            "kind": ActionKind(kind).label}):
        action = ViolationAction(violation=violation, kind=kind, note=note, by=by)
        if kind == ActionKind.NOTICE:
            action.rectify_by = rectify_by
            action.notice_number = next_number("renovation_violation_notice", prefix_default="WZZG",
                                               name_default="违反装修规定整改通知书")
        if kind == ActionKind.COMPENSATION:
            action.amount = amount
        action.save()
        if kind in SIGNED_ACTIONS:
            action.signature = sign(action, by, password, Meaning.APPROVAL, comment=note, step=ActionKind(kind).label)
            action.save(update_fields=["signature"])
        if kind == ActionKind.NOTICE:
            deadlines.open_deadline(
                violation, NOTICE_DEADLINE_KIND,
                gettext("违章整改期限：%(number)s %(unit)s") % {"number": violation.number, "unit": application.unit},
                violation.found_by, _notice_due(rectify_by), remind_before=dt.timedelta(hours=8))
        if kind == ActionKind.COMPENSATION:
            completion.add_claim(application, by, source=ClaimSource.VIOLATION, amount=amount,
                                 reason=gettext("违章 %(number)s 赔偿：%(note)s") % {"number": violation.number,
                                                                               "note": note})
    return action


def _rectification_verified(violation: Violation) -> str | None:
    """The move to 已整改关闭 is made by ``close_violation``, once the photo of the rectified site is stored."""
    if violation.close_photo_id is None or not violation.close_note:
        return gettext("请上传整改后的现场照片，作为整改验证的证据。")
    return None


def _violation_closed(violation, user, transition):
    Violation.objects.filter(pk=violation.pk).update(close_signature=transition.signature)
    violation.close_signature = transition.signature


# An open violation waits for its rectification to be verified on site (seed 5.5); closing it is signed by the
# verifier and meets its rectification deadline.
VIOLATION_PIPELINE = {
    ViolationStatus.OPEN: {
        ViolationStatus.CLOSED: Move(_("整改验证"), roles=SITE_PATROL_ROLES, signature=Meaning.VERIFICATION,
                                     guard=_rectification_verified, closes=("*",), after=_violation_closed,
                                     style="success"),
    },
}
VIOLATION_WORKFLOW = workflow.register(workflow.Workflow(
    Violation, VIOLATION_PIPELINE, badges={ViolationStatus.OPEN: "danger", ViolationStatus.CLOSED: "secondary"}))


def close_violation(violation: Violation, by: User, *, note: str, photo=None, password: str = "") -> Violation:
    """The rectification is verified on site: with a photo of the rectified site (an image) and the verifier's
    signature (password re-entry) the violation is closed and its deadline met."""
    require(by, "renovation.inspect_site")
    note = (note or "").strip()
    if not note:
        raise Refused(gettext("请填写整改验证情况。"))
    if violation.status != ViolationStatus.OPEN:
        raise Refused(gettext("违章 %(number)s 已关闭。") % {"number": violation.number})
    if photo is None:
        raise Refused(gettext("请上传整改后的现场照片，作为整改验证的证据。"))
    _check_photos([photo])
    check_password_or_refuse(by, password)  # before the photo is stored
    with transaction.atomic(), audit.context(user=by, reason=gettext("违章整改验证关闭：%(note)s") % {"note": note}):
        # what the verifier's signature binds is written first, then the move signs it (one transaction)
        now = timezone.now()
        updated = Violation.objects.filter(pk=violation.pk, status=ViolationStatus.OPEN).update(
            closed_at=now, closed_by=by, close_note=note)
        if not updated:
            raise Refused(gettext("违章 %(number)s 已关闭。") % {"number": violation.number})
        evidence = attach(violation, photo, by=by, description=gettext("整改后照片"))
        Violation.objects.filter(pk=violation.pk).update(close_photo=evidence)
        violation.closed_at, violation.closed_by, violation.close_note, violation.close_photo = now, by, note, evidence
        workflow.perform(violation, ViolationStatus.CLOSED, by, password=password, comment=note)
    return violation


# The moves an open violation holds back: 申报竣工 (and the request for a new acceptance after rectification),
# 初验合格 and 复验 requested again, 批准退款 (seed 5.4.2: acceptance goes ahead only without violations). Declared by
# ``RenovationConfig.ready()`` with ``qms.blocks.register_block``.
VIOLATIONS_HOLD = (ApplicationStatus.ACCEPTANCE, ApplicationStatus.REINSPECTION, ApplicationStatus.REFUND_PAYMENT)


def open_violations_refusal(application: Application) -> str | None:
    """An open violation holds completion, acceptance and refund (``VIOLATIONS_HOLD``)."""
    numbers = list(application.violations.filter(status=ViolationStatus.OPEN).values_list("number", flat=True))
    if numbers:
        return gettext("尚有 %(n)d 项违章未整改关闭：%(numbers)s。") % {"n": len(numbers), "numbers": "、".join(numbers)}
    return None



def send_daily_reminder(now: dt.datetime | None = None) -> int:
    """On a working day, tell the property assistants which active sites have not been inspected yet today; once a
    day (the day's ``InspectionReminder`` row). Returns the number of sites listed."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    if not is_working_day(day):
        return 0
    missing = list(sites_with_coverage(day).filter(inspected=False))
    with transaction.atomic():
        _reminder, created = InspectionReminder.objects.get_or_create(day=day, defaults={"sites": len(missing)})
        if not created or not missing:
            return 0 if not created else len(missing)
        lines = "\n".join(f"{site.number} {site.unit}" for site in missing)
        title = gettext("今日尚有 %(n)d 个装修工地未巡查") % {"n": len(missing)}
        for person in User.objects.filter(groups__name=Role.PROPERTY_ASSISTANT, is_active=True).order_by("pk"):
            notify(person, title, lambda: gettext("请在下班前完成巡查并填写《装修巡视检查记录表》：\n%(sites)s") % {"sites": lines},
                   link=reverse("renovation:site_inspections"))
    return len(missing)


BASELINE_STATES = (ApplicationStatus.APPROVED, ApplicationStatus.PERMITTED)


def add_baseline_photos(application: Application, by: User, *, photos, caption: str) -> list[BaselinePhoto]:
    """Photos of the unit before the works start (after approval, before completion is reported), compared with the
    finished unit at acceptance."""
    require(by, "renovation.inspect_site")
    if application.status not in BASELINE_STATES:
        raise Refused(gettext("开工前照片须在申请批准后、申报竣工前上传。"))
    photos = list(photos)
    if not photos:
        raise Refused(gettext("请选择照片。"))
    if not caption.strip():
        raise Refused(gettext("请填写拍摄部位。"))
    _check_photos(photos)
    with transaction.atomic(), audit.context(user=by, reason=gettext("上传开工前现场照片")):
        return [BaselinePhoto.objects.create(
            application=application, caption=caption.strip(), taken_by=by,
            attachment=attach(application, photo, by=by, description=gettext("开工前照片：%(caption)s") % {
                "caption": caption.strip()})) for photo in photos]
