"""Generate a large, plausible complaints data set (for benchmarks and load tests, never production).

    manage.py generate_complaints --complaints 100000 [--customers 5000] [--years 2] [--clock-share 0.5]

Complaints and other feedback (投诉 70 %, 建议, 表扬, 咨询) received over the last ``--years`` years, more of
them recently, in office hours, from the existing customers (a few customers complain much more than
others, so that repeat complaints occur; customers are generated with ``generate_customers`` when there
are fewer than ``--customers``), about a list of medical-device products. Each one's state follows its age:
old complaints are closed (some declared invalid), recent ones spread over every state of the flow, with
the data each state needs (department and handler, investigation conclusion, correction, confirmation,
return visit) and the times at which its clocks were met, most on time, some late.

Numbers come from the shared numbering (``qms.numbering``: the counters of each type and year are advanced
by the number generated, so that the next complaint received gets the next free number). The clocks of §3
(shared deadlines, due times on the working-day calendar) are written for every open complaint and for
``--clock-share`` of the closed ones: met (on time or late), cancelled at closing, or open.

Rows are written with COPY in batches (``--batch-size``) inside an audit context ("生成模拟投诉数据");
``--no-audit`` skips the audit events of the complaints (throwaway benchmark databases only).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import random
import time
from types import SimpleNamespace
from collections import Counter

import pgtrigger
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import (AdverseSeriousness, Channel, Complaint, ComplaintStatus, CorrectionKind, FeedbackType,
                               Responsibility, Severity)
from complaints.services import complaints as service
from customers.generation import copy_rows, new_pks, person_name
from customers.models import Customer
from qms import audit
from qms.deadlines import Deadline
from qms.numbering import DocumentType, NumberCounter
from qms.people import Department, Role, User
from qms.workdays import WorkingCalendar

PRODUCTS = [("一次性使用输液器", 14), ("一次性使用注射器", 12), ("医用外科口罩", 10), ("医用检查手套", 9),
            ("一次性使用导尿包", 6), ("输液延长管", 6), ("静脉留置针", 8), ("医用棉签", 4), ("医用纱布块", 4),
            ("一次性使用采血针", 5), ("真空采血管", 5), ("医用胶带", 3), ("一次性使用无菌手术衣", 3),
            ("一次性使用吸痰管", 2), ("医用雾化器", 2), ("电子血压计", 3), ("红外体温计", 3), ("血糖试纸", 4),
            ("一次性使用鼻氧管", 2), ("医用护理垫", 2)]
TYPES = [(FeedbackType.COMPLAINT, 70), (FeedbackType.SUGGESTION, 10), (FeedbackType.PRAISE, 8),
         (FeedbackType.INQUIRY, 12)]
CHANNELS = [(Channel.PHONE, 45), (Channel.EMAIL, 20), (Channel.FAX, 3), (Channel.LETTER, 7), (Channel.VISIT, 15),
            (Channel.SURVEY, 10)]
RESPONSIBILITIES = [(Responsibility.OURS, 45), (Responsibility.CUSTOMER_MISUSE, 25), (Responsibility.SUPPLIER, 15),
                    (Responsibility.NOT_ESTABLISHED, 15)]
SEVERITIES = [(Severity.MINOR, 70), (Severity.MAJOR, 25), (Severity.CRITICAL, 5)]
CORRECTIONS = [(CorrectionKind.REPLACEMENT, 40), (CorrectionKind.REWORK, 15), (CorrectionKind.CREDIT, 15),
               (CorrectionKind.EXPLANATION, 25), (CorrectionKind.OTHER, 5)]
DEFECTS = ["包装破损，%d 支无菌屏障失效", "滴斗开裂漏液 %d 支", "针尖毛刺，刺入困难 %d 支", "标签批号模糊 %d 箱",
           "外箱受潮变形 %d 箱", "产品有异物 %d 支", "读数偏差超出允许误差 %d 台", "到货数量短少 %d 盒",
           "说明书缺失 %d 盒", "有效期标注错误 %d 箱"]
OTHER_TEXTS = {
    FeedbackType.SUGGESTION: ["建议增加小包装规格", "建议说明书增加图示", "建议缩短交货周期", "建议提供电子版检验报告"],
    FeedbackType.PRAISE: ["售后响应及时，表示感谢", "产品质量稳定，临床反映良好", "送货准时，包装规范"],
    FeedbackType.INQUIRY: ["咨询产品注册证有效期", "咨询灭菌方式和有效期", "咨询大批量采购价格", "咨询替代型号"],
}
CAUSES = ["注塑模具温度偏高导致应力开裂", "封口温度波动导致封口不牢", "运输途中挤压", "客户仓库湿度过高",
          "供应商原材料批次异常", "操作人员未按作业指导书检验", "客户使用方法不当", "原因待进一步分析"]
# Departments that handle complaints, with their share.
HANDLING_DEPARTMENTS = [("quality", 45), ("production", 25), ("service", 15), ("engineering", 10), ("purchasing", 5)]
GENERATED_FIELDS = {
    "number", "type", "channel", "customer_id", "customer_name", "is_key_account", "contact_name", "contact_phone",
    "product", "batch", "quantity", "description", "customer_request", "requires_on_site", "received_by_id",
    "received_at", "responsible_department_id", "responsible_id", "is_valid", "responsibility", "severity", "cause",
    "correction_kind", "correction", "written_reply", "invalid_explanation", "customer_confirmation",
    "return_visit_opinion", "first_replied_at", "on_site_at", "investigation_started_at", "accepted_reply_at",
    "written_reply_at", "confirmed_at", "closed_at", "is_adverse_event", "adverse_seriousness", "adverse_description",
    "adverse_reported_at", "status", "status_changed_at", "updated_at"}
REQUESTS = ["更换整批", "书面说明原因", "退货退款", "派人现场处理", "提供检验报告", ""]


def _weighted(pairs):
    values, weights = zip(*pairs)
    return list(values), list(weights)


class Command(BaseCommand):
    help = _("生成大量模拟客户投诉/反馈数据（含时限），用于性能测试。")

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=100_000)
        parser.add_argument("--customers", type=int, default=None, help=_("至少需要的客户数，默认：投诉数 ÷ 20"))
        parser.add_argument("--years", type=float, default=2.0, help=_("受理时间分布的年数"))
        parser.add_argument("--clock-share", type=float, default=0.5,
                            help=_("已结案投诉中写入时限记录的比例（处理中的投诉都有时限）"))
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help=_("已有投诉数据时仍然追加"))
        parser.add_argument("--no-audit", action="store_true",
                            help=_("不写审计记录（仅用于一次性的性能测试数据库）"))

    def handle(self, *args, **options):
        n = options["complaints"]
        if n < 1:
            raise CommandError(_("投诉数至少为 1。"))
        if Complaint.objects.exists() and not options["force"]:
            raise CommandError(_("数据库中已有投诉数据，未生成任何数据；如需追加，请加 --force。"))
        self.rng = random.Random(options["seed"])
        self.batch = max(100, options["batch_size"])
        self.now = timezone.now()
        self.calendar = WorkingCalendar()
        self.people()
        started = time.perf_counter()
        self.customers = self.ensure_customers(options["customers"] or max(1, n // 20), options["no_audit"])
        skip_audit = pgtrigger.ignore(*_audit_triggers()) if options["no_audit"] else contextlib.nullcontext()
        with audit.context(reason=_("生成模拟投诉数据")), skip_audit:
            plans = self.plan(n, options["years"])
            self.number(plans)
            self.write_complaints(plans)
            self.write_clocks(plans, options["clock_share"])
        self.stdout.write(_("完成：共 %(s).1f 秒。") % {"s": time.perf_counter() - started})

    # --- people and customers -------------------------------------------------------------------
    def people(self) -> None:
        receivers = list(User.objects.filter(groups__name__in=[Role.CUSTOMER_SERVICE, Role.SALES, Role.QUALITY],
                                             is_active=True).order_by("pk").values_list("pk", flat=True).distinct())
        if not receivers:
            raise CommandError(_("没有客户服务、销售或品质人员：请先运行 seed_demo。"))
        self.receivers = receivers
        self.departments = []  # (department pk, manager pk, [member pks], weight)
        by_code = {d.code: d for d in Department.objects.filter(code__in=[c for c, _w in HANDLING_DEPARTMENTS])}
        for code, weight in HANDLING_DEPARTMENTS:
            department = by_code.get(code)
            if department is None or not department.manager_id:
                continue
            members = list(User.objects.filter(department=department, is_active=True).values_list("pk", flat=True))
            self.departments.append((department.pk, department.manager_id, members or [department.manager_id],
                                     weight))
        if not self.departments:
            raise CommandError(_("没有设置了部门经理的处理部门：请先运行 seed_demo。"))

    def ensure_customers(self, wanted: int, no_audit: bool) -> list[tuple[int, str, bool]]:
        have = Customer.objects.count()
        if have < wanted:
            missing = wanted - have
            self.stdout.write(_("客户不足，先生成 %(n)d 个客户。") % {"n": missing})
            call_command("generate_customers", customers=missing, contacts=missing, follow_ups=0,
                         business_records=0, force=True, no_audit=no_audit, seed=self.rng.randrange(1 << 30),
                         stdout=self.stdout)
        rows = list(Customer.objects.order_by("pk").values_list("pk", "name", "grade"))
        return [(pk, name, grade in service.KEY_ACCOUNT_GRADES) for pk, name, grade in rows]

    def person_name(self) -> str:
        return person_name(self.rng)

    # --- what each complaint is -----------------------------------------------------------------
    def received_at(self, years: float) -> dt.datetime:
        """A moment in office hours, more often recent than long ago."""
        rng = self.rng
        while True:
            day = timezone.localdate(self.now) - dt.timedelta(days=int(years * 365 * rng.random() ** 1.4))
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 30))) + dt.timedelta(
                minutes=rng.randrange(9 * 60))
            if at <= self.now:
                return at

    def plan(self, n: int, years: float) -> list[dict]:
        rng = self.rng
        started = time.perf_counter()
        types, type_weights = _weighted(TYPES)
        channels, channel_weights = _weighted(CHANNELS)
        products, product_weights = _weighted(PRODUCTS)
        # Some customers complain far more than others (so that the same customer and product come back).
        customer_weights = list(itertools.accumulate(rng.paretovariate(1.2) for _ in self.customers))
        plans = []
        for _i in range(n):
            customer = rng.choices(self.customers, cum_weights=customer_weights)[0]
            kind = rng.choices(types, type_weights)[0]
            plan = {"type": kind, "channel": rng.choices(channels, channel_weights)[0],
                    "customer": customer, "received_at": self.received_at(years),
                    "receiver": rng.choice(self.receivers),
                    "product": rng.choices(products, product_weights)[0] if kind == FeedbackType.COMPLAINT
                    or rng.random() < 0.5 else "",
                    "requires_on_site": kind == FeedbackType.COMPLAINT and rng.random() < 0.1}
            plan["status"] = self.status_for(plan)
            plans.append(plan)
        plans.sort(key=lambda p: p["received_at"])  # numbers in the order of receipt
        self.other_fields = [f for f in Complaint._meta.concrete_fields
                             if f.attname not in GENERATED_FIELDS and not f.primary_key]
        for plan in plans:
            plan["row"] = self.complaint_row(plan)
        self.report(_("投诉计划"), n, started)
        return plans

    def status_for(self, plan: dict) -> str:
        rng = self.rng
        age = (self.now - plan["received_at"]).days
        if plan["type"] != FeedbackType.COMPLAINT:
            if age > 3 or rng.random() < 0.5:
                return ComplaintStatus.CLOSED
            return rng.choice((ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED))
        if age > 60:
            pairs = [(ComplaintStatus.CLOSED, 90), (ComplaintStatus.INVALID, 8), (ComplaintStatus.RETURN_VISIT, 1),
                     (ComplaintStatus.CONFIRMING, 1)]
        elif age > 14:
            pairs = [(ComplaintStatus.CLOSED, 55), (ComplaintStatus.INVALID, 8), (ComplaintStatus.CORRECTING, 10),
                     (ComplaintStatus.CONFIRMING, 12), (ComplaintStatus.RETURN_VISIT, 10),
                     (ComplaintStatus.INVESTIGATING, 5)]
        else:
            pairs = [(ComplaintStatus.RECEIVED, 20), (ComplaintStatus.ASSIGNED, 20),
                     (ComplaintStatus.INVESTIGATING, 20), (ComplaintStatus.CORRECTING, 15),
                     (ComplaintStatus.CONFIRMING, 10), (ComplaintStatus.RETURN_VISIT, 5), (ComplaintStatus.CLOSED, 5),
                     (ComplaintStatus.INVALID, 5)]
        values, weights = _weighted(pairs)
        return rng.choices(values, weights)[0]

    def later(self, at: dt.datetime, *, on_time: float = 0.85, quick_hours: float = 6, slow_days: float = 6):
        """A moment after ``at``: mostly within ``quick_hours``, else up to ``slow_days`` later; never future."""
        rng = self.rng
        if rng.random() < on_time:
            step = dt.timedelta(minutes=rng.randrange(10, int(quick_hours * 60)))
        else:
            step = dt.timedelta(hours=rng.uniform(12, slow_days * 24))
        return min(at + step, self.now)

    def complaint_row(self, plan: dict) -> dict:
        rng = self.rng
        kind, status, received = plan["type"], plan["status"], plan["received_at"]
        customer_pk, customer_name, key_account = plan["customer"]
        order = [ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED, ComplaintStatus.INVESTIGATING,
                 ComplaintStatus.CORRECTING, ComplaintStatus.CONFIRMING, ComplaintStatus.RETURN_VISIT,
                 ComplaintStatus.CLOSED]
        invalid = status == ComplaintStatus.INVALID
        if invalid:  # declared invalid during the investigation
            reached = order.index(ComplaintStatus.INVESTIGATING) if rng.random() < 0.7 else 1
        elif kind != FeedbackType.COMPLAINT and status == ComplaintStatus.CLOSED:
            reached = 0  # answered and closed
        else:
            reached = order.index(status)
        quantity = rng.choice((1, 2, 3, 5, 10, 20, 50, 100, 200))
        if kind == FeedbackType.COMPLAINT:
            description = rng.choice(DEFECTS) % quantity
        else:
            description = rng.choice(OTHER_TEXTS[kind])
        row = {
            "number": "", "type": kind, "channel": plan["channel"], "customer_id": customer_pk,
            "customer_name": customer_name[:100], "is_key_account": key_account,
            "contact_name": self.person_name(), "contact_phone": f"13{rng.randrange(10**9):09d}",
            "product": plan["product"], "batch": f"B{received:%y%m}{rng.randrange(100):02d}" if plan["product"] else "",
            "quantity": quantity if kind == FeedbackType.COMPLAINT else None,
            "description": description,
            "customer_request": rng.choice(REQUESTS) if kind == FeedbackType.COMPLAINT else "",
            "requires_on_site": plan["requires_on_site"], "received_by_id": plan["receiver"], "received_at": received,
            "responsible_department_id": None, "responsible_id": None, "is_valid": None, "responsibility": "",
            "severity": "", "cause": "", "correction_kind": "", "correction": "", "written_reply": "",
            "invalid_explanation": "", "customer_confirmation": "", "return_visit_opinion": "",
            "first_replied_at": None, "on_site_at": None, "investigation_started_at": None,
            "accepted_reply_at": None, "written_reply_at": None, "confirmed_at": None, "closed_at": None,
            "is_adverse_event": False, "adverse_seriousness": "", "adverse_description": "",
            "adverse_reported_at": None,
            "status": status, "status_changed_at": received, "updated_at": received,
        }
        moment = received
        if rng.random() < (0.97 if reached or status == ComplaintStatus.CLOSED else 0.6):
            row["first_replied_at"] = self.later(received)
        if reached >= 1:
            department, manager, members, _w = rng.choices(self.departments, [d[3] for d in self.departments])[0]
            row["responsible_department_id"] = department
            row["responsible_id"] = manager if key_account or rng.random() < 0.3 else rng.choice(members)
            moment = self.later(moment, quick_hours=4)
        if plan["requires_on_site"] and reached >= 1 and rng.random() < 0.9:
            row["on_site_at"] = self.later(received, on_time=0.8)
        if reached >= 2:
            moment = row["investigation_started_at"] = self.later(moment, quick_hours=20, on_time=0.8)
        if reached >= 3:
            row.update(is_valid=True, responsibility=rng.choices(*_weighted(RESPONSIBILITIES))[0],
                       severity=rng.choices(*_weighted(SEVERITIES))[0], cause=rng.choice(CAUSES))
            row["accepted_reply_at"] = self.later(received, quick_hours=40, on_time=0.8, slow_days=10)
            moment = self.later(moment, quick_hours=30)
        if reached >= 4:
            row.update(correction_kind=rng.choices(*_weighted(CORRECTIONS))[0],
                       correction="按客户要求" + rng.choice(("换货", "返修", "折让", "书面解释", "补发")) + "并附检验报告")
            row["written_reply_at"] = self.later(received, quick_hours=100, on_time=0.8, slow_days=14)
            row["written_reply"] = "经调查，" + row["cause"] + "；处理方案：" + row["correction"]
            moment = self.later(moment, quick_hours=48)
        if reached >= 5:
            moment = row["confirmed_at"] = self.later(moment, quick_hours=72)
            row["customer_confirmation"] = "电话确认：客户认可处理方案"
        if reached >= 6:
            row["return_visit_opinion"] = "客户满意，无其他意见"
            moment = row["closed_at"] = self.later(moment, quick_hours=120)
        if invalid:
            row.update(is_valid=False, invalid_explanation="经调查非产品质量问题，已向客户解释")
            moment = row["closed_at"] = self.later(moment, quick_hours=30)
        if kind != FeedbackType.COMPLAINT and status == ComplaintStatus.CLOSED:
            row["first_replied_at"] = row["first_replied_at"] or self.later(received)
            moment = row["closed_at"] = max(moment, row["first_replied_at"])
        if key_account and kind == FeedbackType.COMPLAINT and rng.random() < 0.02:
            row.update(is_adverse_event=True, adverse_seriousness=AdverseSeriousness.OTHER,
                       adverse_description="使用中发现产品缺陷，未造成伤害")
        row["status_changed_at"] = row["updated_at"] = moment
        for field in self.other_fields:  # fields added to the model since: their defaults
            row[field.attname] = field.get_default()
        return row

    # --- numbers --------------------------------------------------------------------------------
    def number(self, plans: list[dict]) -> None:
        """Advance each (type, year) counter of the shared numbering by the number of complaints generated
        (one statement each) and give out the numbers in the order of receipt."""
        tz = timezone.get_default_timezone()
        needed = Counter()
        for plan in plans:
            key, _prefix, _name = service.NUMBER_KEYS.get(plan["type"], service.FEEDBACK_NUMBER_KEY)
            plan["number_key"] = (key, plan["received_at"].astimezone(tz).year)
            needed[plan["number_key"]] += 1
        types = {}
        for key, prefix, name in {service.NUMBER_KEYS.get(t, service.FEEDBACK_NUMBER_KEY) for t in FeedbackType.values}:
            types[key], _created = DocumentType.objects.get_or_create(key=key, defaults={"prefix": prefix,
                                                                                         "name": name})
        table = connection.ops.quote_name(NumberCounter._meta.db_table)
        next_seq = {}
        with transaction.atomic(), connection.cursor() as cursor:
            for (key, year), count in sorted(needed.items()):
                cursor.execute(
                    f'INSERT INTO {table} (document_type_id, year, last) VALUES (%s, %s, %s) '
                    f'ON CONFLICT (document_type_id, year) DO UPDATE SET last = {table}.last + EXCLUDED.last '
                    'RETURNING last', [types[key].pk, year, count])
                next_seq[(key, year)] = cursor.fetchone()[0] - count + 1
        for plan in plans:
            key, year = plan["number_key"]
            plan["row"]["number"] = types[key].format(year, next_seq[(key, year)])
            next_seq[(key, year)] += 1

    # --- writing --------------------------------------------------------------------------------
    def write_complaints(self, plans: list[dict]) -> None:
        started = time.perf_counter()
        for offset in range(0, len(plans), self.batch):
            chunk = plans[offset:offset + self.batch]
            for plan, pk in zip(chunk, new_pks(Complaint, len(chunk))):
                plan["row"]["id"] = pk
            copy_rows(Complaint, [plan["row"] for plan in chunk])
        self.report(_("投诉/反馈"), len(plans), started)

    def write_clocks(self, plans: list[dict], share: float) -> None:
        started = time.perf_counter()
        content_type = ContentType.objects.get_for_model(Complaint).pk
        link = reverse("complaints:detail", args=[0])[:-2]  # "/complaints/" + pk + "/"
        written = 0
        rows = []
        for plan in plans:
            row = plan["row"]
            final = row["status"] in service.FINAL_STATUSES
            if final and self.rng.random() >= share:
                continue
            for rows_added in self.clock_rows(row, content_type, link, final):
                rows.append(rows_added)
            if len(rows) >= self.batch:
                copy_rows(Deadline, rows)
                written += len(rows)
                rows = []
        if rows:
            copy_rows(Deadline, rows)
            written += len(rows)
        self.report(_("时限"), written, started)

    def clock_rows(self, row: dict, content_type: int, link: str, final: bool):
        """The complaint's clocks as ``receive`` opens them and the flow closes them."""
        responsible = row["responsible_id"] or row["received_by_id"]
        record = SimpleNamespace(type=row["type"], requires_on_site=row["requires_on_site"])
        for rule in service.CLOCKS:
            if rule.condition is not None and not rule.condition(record):
                continue
            due = rule.due(record, row["received_at"], calendar=self.calendar)
            met = row[service.MET_FIELDS[rule.kind]]
            if met is None and rule.kind == "investigation" and row["status"] == ComplaintStatus.INVALID:
                met = row["closed_at"]  # declaring a complaint invalid ends its investigation clock
            if met is not None:
                state, closed = Deadline.State.MET, met
            elif final:
                state, closed = Deadline.State.CANCELLED, row["closed_at"]
            else:
                state, closed = Deadline.State.OPEN, None
            yield {
                "content_type_id": content_type, "object_id": row["id"], "kind": rule.kind,
                "title": str(rule.title).format(record=f"{row['number']} {row['customer_name']}")[:200],
                "link": f"{link}{row['id']}/", "responsible_id": responsible, "due_at": due,
                "remind_before": _interval(rule.remind_before), "escalate_after": _interval(rule.escalate_after),
                "state": state,
                "opened_at": row["received_at"], "closed_at": closed,
                "next_action_at": due - rule.remind_before if state == Deadline.State.OPEN else None,
                "escalated_to_id": None, "escalation_level": 0,
            }

    def report(self, label: str, rows: int, started: float) -> None:
        elapsed = max(time.perf_counter() - started, 1e-6)
        self.stdout.write(_("%(label)s：%(rows)s 行，%(s).1f 秒，%(rate)s 行/秒") % {
            "label": label, "rows": f"{rows:,}", "s": elapsed, "rate": f"{rows / elapsed:,.0f}"})


def _interval(value: dt.timedelta) -> str:
    return f"{int(value.total_seconds())} seconds"


def _audit_triggers() -> list[str]:
    """The audit (pghistory) triggers of the complaints table, as pgtrigger URIs."""
    return [f"{Complaint._meta.label}:{trigger.name}" for trigger in getattr(Complaint._meta, "triggers", [])
            if audit.is_tracked(Complaint) and trigger.name.startswith(("insert", "update", "delete"))]
