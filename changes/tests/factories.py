"""Helpers for the change-control tests: a change request taken along its workflow through the services."""
from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qms import countersign, workflow
from qms.demo import DEMO_PASSWORD as PASSWORD
from qms.people import Department
from changes.models import ChangeStatus as S, Kind, ProcessClass
from changes.services import implementation, release, requests


def departments(*codes):
    return list(Department.objects.filter(code__in=codes))


def change(people, *, kind=Kind.PROCESS, process_class=ProcessClass.III, cards=(), customers=(),
           codes=("production", "quality"), by="engineering", **fields):
    if kind == Kind.PROCESS and not cards:
        from production.models import ProcessCard
        from production.tests.factories import card

        cards = [card(code=f"GY-C{ProcessCard.objects.count() + 1}")]
    return requests.create_request(
        people[by], title=fields.pop("title", "注塑工艺参数变更"), kind=kind,
        process_class=process_class if kind == Kind.PROCESS else "", plan="变更方案", basis="变更依据",
        wanted_effective_date=timezone.localdate() + dt.timedelta(days=30), affected_departments=departments(*codes),
        process_cards=list(cards), customers=list(customers), **fields)


def risk(people, the_change, residual=(2, 2), by="quality"):
    return requests.add_risk(the_change, people[by], description="尺寸偏差导致装配不良", severity=4, likelihood=3,
                             control="首件全检", residual_severity=residual[0], residual_likelihood=residual[1],
                             is_new=True, concerned_department=Department.objects.get(code="production"))


def evidence(people, the_change, kinds=None, by="engineering"):
    for kind in kinds if kinds is not None else requests.required_evidence(the_change):
        requests.add_evidence(the_change, people[by], kind=kind,
                              uploaded=SimpleUploadedFile(f"{kind}.txt", f"{kind} report".encode()))


def to_evaluation(people, the_change):
    workflow.perform(the_change, S.RISK, the_change.created_by)
    risk(people, the_change)
    workflow.perform(the_change, S.EVALUATION, people["quality"])
    the_change.refresh_from_db()
    return the_change


def to_approval(people, the_change):
    to_evaluation(people, the_change)
    for opinion in countersign.opinions_for(the_change):
        countersign.give_opinion(opinion, opinion.responsible, verdict="agree", text="同意", password=PASSWORD)
    requests.record_meeting(the_change, people["mr"], meeting_date=timezone.localdate(),
                            attendees=[people["mr"], people["quality"]], minutes="同意变更。")
    workflow.perform(the_change, S.AWAITING_APPROVAL, people["mr"])
    the_change.refresh_from_db()
    return the_change


def to_implementing(people, the_change, approver="gm"):
    to_approval(people, the_change)
    evidence(people, the_change)
    workflow.perform(the_change, S.IMPLEMENTING, people[approver], password=PASSWORD)
    the_change.refresh_from_db()
    implementation.set_coordinator(the_change, people["mr"], coordinator=people["engineering"])
    return the_change


def tasks(people, the_change):
    return [implementation.add_task(the_change, people["engineering"], department=department,
                                    responsible=department.manager, description=f"{department} 落实", working_days=3)
            for department in the_change.affected_departments.order_by("code")]


def to_confirmation(people, the_change):
    to_implementing(people, the_change)
    for task in tasks(people, the_change):
        implementation.complete_task(task, task.responsible, result="完成")
    workflow.perform(the_change, S.AWAITING_CONFIRMATION, people["engineering"],
                     values={"execution_report": "全部完成"})
    release.announce_effective_date(the_change, people["mr"], effective_date=timezone.localdate())
    the_change.refresh_from_db()
    return the_change
