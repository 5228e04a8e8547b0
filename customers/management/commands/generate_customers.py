"""Generate a large, plausible key-accounts data set (for benchmarks and load tests, never production).

    manage.py generate_customers --customers 100000 --contacts 300000 --follow-ups 1000000 [--owners 20]

Customers have Chinese company names (city + 字号 + trade + legal form) with their search keys
(``customers.services.names``), owners among the sales staff (about a fifth left in the pool), grades
A/B/C (5/15/80 %), options and regions from the editable lists; contacts (the first of each customer is
its primary contact) with plausible Chinese names and mobile numbers; follow-ups spread over each
customer's life (the newest one is the customer's ``last_follow_up_at``); business records weighted
towards A customers; one ownership row per customer.

Rows are streamed to PostgreSQL with COPY in batches (``--batch-size``, 10,000 by default), each batch in
its own transaction, inside an audit context: the audit triggers record every row like any other insert,
with the reason "生成模拟客户数据". ``--no-audit`` skips the audit events (several times faster; for
throwaway benchmark databases only).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from decimal import Decimal

import pgtrigger

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.generation import GIVEN_CHARS, SURNAMES, copy_rows, new_pks, person_name
from customers.models import (BusinessRecord, Contact, Customer, CustomerOption, FollowUp, FollowUpKind, Grade,
                              OptionKind, OwnershipChange, OwnershipKind, Rating, Region)
from customers.services.names import name_key, normalised_name, pinyin_keys
from qms import audit
from qms.people import Department, Role, User

CITIES = ["北京", "上海", "天津", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "青岛", "宁波",
          "厦门", "福州", "济南", "郑州", "长沙", "合肥", "昆明", "南宁", "沈阳", "大连", "哈尔滨", "长春", "石家庄",
          "太原", "南昌", "贵阳", "兰州", "无锡", "常州", "佛山", "东莞", "珠海", "温州", "绍兴", "嘉兴", "烟台", "潍坊"]
# 字号 characters
BRAND_CHARS = list("华信达通宏泰恒瑞鑫源盛联创新科博凯嘉安康美佳中天海金明光辉星德丰立腾飞远航峰力永兴隆昌祥"
                   "发顺鼎欣智云东方南北易捷迅锦诚润泽宇辰晟越嘉伟豪众合益民鸿运启元晶磊聚宝纳川优品卓群")
TRADES = ["信息技术", "科技", "电子", "网络科技", "贸易", "进出口", "医疗器械", "生物科技", "机械设备", "电气",
          "建材", "物流", "教育咨询", "培训", "文化传媒", "商贸", "实业", "精密制造", "新材料", "环保科技",
          "软件", "自动化", "食品", "包装", "物业管理", "化工", "光电", "汽车配件", "家居", "投资"]
LEGAL_FORMS = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
POSITIONS = ["总经理", "副总经理", "采购经理", "采购专员", "技术总监", "质量经理", "财务经理", "行政主管",
             "项目经理", "董事长", "办公室主任", "设备主管"]
SALUTATIONS = ["先生", "女士", "总", "经理", "工"]
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158",
                   "159", "176", "177", "180", "182", "185", "186", "187", "188", "189", "199"]
ROADS = ["人民路", "建设路", "中山路", "解放路", "和平路", "科技园路", "高新大道", "工业园路", "长江路", "黄河路",
         "新华路", "滨江大道", "创业路", "振兴路"]
FOLLOW_UP_TEXTS = ["电话沟通今年采购计划，客户关注交期和价格。", "上门拜访采购经理，介绍新产品样册。",
                   "发送报价单和产品资料，等待客户反馈。", "客户反馈上批货物包装破损，已安排补发。",
                   "与技术部一起评审客户的特殊要求。", "年度框架合同续签沟通，客户希望降价 3%。",
                   "节日问候，了解客户下季度需求。", "邀请客户参加展会并安排工厂参观。",
                   "客户投诉处理结果回访，客户表示满意。", "沟通付款进度，财务确认月底前付款。"]
NEXT_STEPS = ["", "下周再次电话确认", "安排技术人员上门", "寄送样品", "准备正式报价", "约定月底拜访"]
BUSINESS_TEXTS = ["订单货款", "年度框架合同", "样品费", "维修服务费", "备件采购", "技术服务费"]
GRADE_WEIGHTS = [(Grade.A, 5), (Grade.B, 15), (Grade.C, 80)]
REVENUE_BY_GRADE = {Grade.A: 120_000, Grade.B: 30_000, Grade.C: 6_000}  # typical record amount (元)


class Command(BaseCommand):
    help = _("生成大量模拟客户数据（客户、联系人、跟进记录、业务记录），用于性能测试。")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1000)
        parser.add_argument("--contacts", type=int, default=None, help=_("默认：客户数 × 3"))
        parser.add_argument("--follow-ups", type=int, default=None, help=_("默认：客户数 × 10"))
        parser.add_argument("--business-records", type=int, default=None, help=_("默认：客户数 × 2"))
        parser.add_argument("--owners", type=int, default=0, help=_("另外新建的销售人员数"))
        parser.add_argument("--pool-share", type=float, default=0.2, help=_("放入客户池的比例"))
        parser.add_argument("--years", type=float, default=3.0, help=_("客户创建时间分布的年数"))
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help=_("已有客户数据时仍然追加"))
        parser.add_argument("--no-audit", action="store_true",
                            help=_("不写审计记录（仅用于一次性的性能测试数据库）"))

    def handle(self, *args, **options):
        n = options["customers"]
        if n < 1:
            raise CommandError(_("客户数至少为 1。"))
        if Customer.all_objects.exists() and not options["force"]:
            raise CommandError(_("数据库中已有客户数据，未生成任何数据；如需追加，请加 --force。"))
        self.rng = random.Random(options["seed"])
        self.batch = max(100, options["batch_size"])
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        contacts = n * 3 if options["contacts"] is None else options["contacts"]
        follow_ups = n * 10 if options["follow_ups"] is None else options["follow_ups"]
        records = n * 2 if options["business_records"] is None else options["business_records"]

        self.owners = self.sales_people(options["owners"])
        self.options = {kind: list(CustomerOption.objects.filter(kind=kind, is_active=True).values_list("pk", flat=True))
                        for kind in OptionKind.values}
        self.cities = list(Region.objects.filter(level=Region.Level.CITY).values_list("code", "parent_id", "name"))
        started = time.perf_counter()
        # pgtrigger.ignore() without names would switch off every trigger: only the audit ones, and only if asked.
        skip_audit = pgtrigger.ignore(*_audit_triggers()) if options["no_audit"] else contextlib.nullcontext()
        with audit.context(reason=_("生成模拟客户数据")), skip_audit:
            customers = self.create_customers(n, options["pool_share"], options["years"], follow_ups)
            primary = self.create_contacts(customers, contacts)
            self.create_ownership(customers)
            self.create_follow_ups(customers, primary, follow_ups)
            self.create_business_records(customers, records)
        total = time.perf_counter() - started
        self.stdout.write(_("完成：共 %(s).1f 秒。") % {"s": total})

    # --- people ----------------------------------------------------------------------------------
    def sales_people(self, extra: int) -> list[int]:
        if extra:
            department = Department.objects.filter(code="sales").first()
            group = Group.objects.get(name=Role.SALES)
            taken = set(User.objects.filter(username__startswith="salesgen").values_list("username", flat=True))
            created = []
            index = 0
            while len(created) < extra:
                index += 1
                username = f"salesgen{index:03d}"
                if username in taken:
                    continue
                created.append(User(username=username, full_name=self.person_name(), department=department,
                                    password="!", email=f"{username}@example.com"))
            with audit.context(reason=_("生成模拟销售人员")):
                User.objects.bulk_create(created)
                group.user_set.add(*User.objects.filter(username__in=[u.username for u in created]))
            self.stdout.write(_("新建销售人员 %(n)d 名。") % {"n": extra})
        owners = list(User.objects.filter(groups__name=Role.SALES, is_active=True).order_by("pk")
                      .values_list("pk", flat=True).distinct())
        if not owners:
            raise CommandError(_("没有销售人员：请先运行 seed_demo，或用 --owners N 新建。"))
        return owners

    def person_name(self) -> str:
        return person_name(self.rng, given_lengths=(1, 2, 2))

    # --- customers -------------------------------------------------------------------------------
    def company_name(self, taken: set[str]) -> tuple[str, str, str, str]:
        rng = self.rng
        while True:
            parts = (rng.choice(CITIES), rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS), rng.choice(TRADES),
                     rng.choice(LEGAL_FORMS))
            name = "".join(parts)
            key = name_key(name)
            if len(name) <= 50 and key not in taken:
                taken.add(key)
                return (name, key, *pinyin_keys(name))

    def created_at(self, years: float) -> dt.datetime:
        # More customers recently than long ago (a growing sales team).
        return self.now - dt.timedelta(days=years * 365 * self.rng.random() ** 1.6)

    def create_customers(self, n: int, pool_share: float, years: float, follow_ups: int) -> list[dict]:
        rng, now = self.rng, self.now
        taken = set(Customer.all_objects.values_list("name_key", flat=True))
        plans: list[dict] = []
        weights = []
        owner_weights = [rng.paretovariate(2.5) for _ in self.owners]  # some salespeople hold many more
        grades, grade_weights = zip(*GRADE_WEIGHTS)
        for _i in range(n):
            owner = None if rng.random() < pool_share else rng.choices(self.owners, owner_weights)[0]
            plans.append({"created": self.created_at(years), "owner": owner,
                          "grade": rng.choices(grades, grade_weights)[0]})
            weights.append(rng.expovariate(1.0) * (3 if owner else 1))  # owned customers: 3 × the follow-ups
        for plan, count in zip(plans, _spread(follow_ups, weights, rng)):
            plan["follow_ups"] = count
            plan["last"] = None
            if count:
                plan["last"] = plan["created"] + (now - plan["created"]) * rng.random() ** 0.3

        started = time.perf_counter()
        for offset in range(0, n, self.batch):
            chunk = plans[offset:offset + self.batch]
            pks = new_pks(Customer, len(chunk))
            for plan, pk in zip(chunk, pks):
                plan["pk"] = pk
            copy_rows(Customer, [self.customer_row(plan, taken) for plan in chunk])
        self.report(_("客户"), n, started)
        return plans

    def customer_row(self, plan: dict, taken: set[str]) -> dict:
        rng = self.rng
        name, key, pinyin, initials = self.company_name(taken)
        created, owner, grade = plan["created"], plan["owner"], plan["grade"]
        option = {kind: (rng.choice(pks) if pks and rng.random() < 0.9 else None) for kind, pks in self.options.items()}
        city_code, province_code, city_name = rng.choice(self.cities) if self.cities else (None, None, "")
        touched = max(filter(None, [created, plan["last"]]))
        return {
            # names are drawn unique by key, so their normalised names are unique too (customer_unique_live_name)
            "id": plan["pk"], "name": name, "name_key": key, "name_normalised": normalised_name(name),
            "name_pinyin": pinyin, "name_initials": initials,
            "industry_id": option[OptionKind.INDUSTRY], "source_id": option[OptionKind.SOURCE],
            "nature_id": option[OptionKind.NATURE], "revenue_band_id": option[OptionKind.REVENUE],
            "employees_band_id": option[OptionKind.EMPLOYEES], "status_id": option[OptionKind.STATUS],
            "rating": rng.choice([None, Rating.ONE, Rating.TWO, Rating.THREE]), "grade": grade,
            "postcode": f"{rng.randint(100000, 850000)}" if rng.random() < 0.7 else "",
            "province_id": province_code, "city_id": city_code,
            "address": f"{city_name}{rng.choice(ROADS)}{rng.randint(1, 999)}号" if rng.random() < 0.9 else "",
            "phone": f"0{rng.randint(10, 999)}-{rng.randint(2000000, 89999999)}" if rng.random() < 0.8 else "",
            "website": f"www.{initials[:8] or 'company'}{rng.randint(1, 999)}.com.cn" if rng.random() < 0.3 else "",
            "owner_id": owner, "owner_since": created if owner else None,
            "pool_entered_at": None if owner else created, "last_follow_up_at": plan["last"],
            "relationship_started_on": timezone.localdate(created) if grade != Grade.C or rng.random() < 0.3 else None,
            "created_by_id": owner or rng.choice(self.owners), "created_at": created,
            "updated_at": touched + (self.now - touched) * rng.random() ** 3,
            "organisation": "", "business_situation": "行业龙头，年采购额稳定增长。" if grade == Grade.A else "",
            "major_events": "", "competition": "",
            "needs": "关注交期稳定和批次一致性，希望提供年度框架价格。" if grade == Grade.A else "",
            "shareholders": "", "stock_info": "", "bank_accounts": "", "service_notes": "", "other_info": "",
            "deleted_at": None, "deleted_by_id": None, "delete_reason": "",
        }

    # --- contacts, ownership ---------------------------------------------------------------------
    def create_contacts(self, customers: list[dict], total: int) -> list[int | None]:
        """The first ``len(customers)`` contacts are each customer's primary contact; the rest go to random
        customers. Returns the primary contact's pk per customer."""
        rng = self.rng
        started = time.perf_counter()
        primary: list[int | None] = [None] * len(customers)
        for offset in range(0, total, self.batch):
            size = min(self.batch, total - offset)
            rows = []
            for i, pk in zip(range(offset, offset + size), new_pks(Contact, size)):
                is_primary = i < len(customers)
                index = i if is_primary else rng.randrange(len(customers))
                if is_primary:
                    primary[index] = pk
                surname = rng.choice(SURNAMES)
                rows.append({
                    "id": pk, "customer_id": customers[index]["pk"],
                    "name": surname + rng.choice(GIVEN_CHARS) + rng.choice(("", *GIVEN_CHARS)),
                    "salutation": surname + rng.choice(SALUTATIONS), "position": rng.choice(POSITIONS),
                    "mobile": rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99999999):08d}",
                    "email": f"c{pk}@example.com" if rng.random() < 0.6 else "",
                    "qq": str(rng.randint(10000, 3999999999)) if rng.random() < 0.3 else "", "remarks": "",
                    "is_primary": is_primary, "is_active": True, "created_at": customers[index]["created"]})
            copy_rows(Contact, rows)
        self.report(_("联系人"), total, started)
        return primary

    def create_ownership(self, customers: list[dict]) -> None:
        started = time.perf_counter()
        for offset in range(0, len(customers), self.batch):
            copy_rows(OwnershipChange, [
                {"customer_id": c["pk"], "kind": OwnershipKind.CREATED if c["owner"] else OwnershipKind.RELEASED,
                 "from_owner_id": None, "to_owner_id": c["owner"], "by_id": c["owner"] or self.owners[0],
                 "at": c["created"], "reason": "新建客户" if c["owner"] else "新建并放入客户池"}
                for c in customers[offset:offset + self.batch]])
        self.report(_("归属记录"), len(customers), started)

    # --- follow-ups, business --------------------------------------------------------------------
    def create_follow_ups(self, customers: list[dict], primary: list[int | None], total: int) -> None:
        rng, now = self.rng, self.now
        kinds = [FollowUpKind.CALL] * 6 + [FollowUpKind.VISIT] * 2 + [FollowUpKind.EMAIL, FollowUpKind.MEETING,
                                                                        FollowUpKind.OTHER]
        started = time.perf_counter()
        rows: list[dict] = []
        written = 0
        for index, customer in enumerate(customers):
            count, last, created = customer["follow_ups"], customer["last"], customer["created"]
            for k in range(count):
                at = last if k == 0 else created + (last - created) * rng.random()
                rows.append({
                    "customer_id": customer["pk"], "kind": rng.choice(kinds), "occurred_at": at,
                    "by_id": customer["owner"] or rng.choice(self.owners),
                    "contact_id": primary[index] if rng.random() < 0.6 else None,
                    "content": rng.choice(FOLLOW_UP_TEXTS), "next_step": rng.choice(NEXT_STEPS),
                    "created_at": min(now, at + dt.timedelta(hours=rng.random() * 20))})
                if len(rows) >= self.batch:
                    copy_rows(FollowUp, rows)
                    written += len(rows)
                    rows = []
        if rows:
            copy_rows(FollowUp, rows)
            written += len(rows)
        self.report(_("跟进记录"), written, started)

    def create_business_records(self, customers: list[dict], total: int) -> None:
        if not total:
            return
        rng, today = self.rng, self.today
        weights = [{Grade.A: 20, Grade.B: 5}.get(c["grade"], 1) for c in customers]
        started = time.perf_counter()
        for offset in range(0, total, self.batch):
            rows = []
            for customer in rng.choices(customers, weights, k=min(self.batch, total - offset)):
                first = timezone.localdate(customer["created"])
                rows.append({
                    "customer_id": customer["pk"],
                    "occurred_on": first + dt.timedelta(days=int((today - first).days * rng.random() ** 0.7)),
                    "amount": Decimal(str(round(REVENUE_BY_GRADE[customer["grade"]] * rng.lognormvariate(0, 0.8), 2))),
                    "description": rng.choice(BUSINESS_TEXTS),
                    "recorded_by_id": customer["owner"] or rng.choice(self.owners), "created_at": self.now})
            copy_rows(BusinessRecord, rows)
        self.report(_("业务记录"), total, started)

    def report(self, label: str, rows: int, started: float) -> None:
        elapsed = max(time.perf_counter() - started, 1e-6)
        self.stdout.write(_("%(label)s：%(rows)s 行，%(s).1f 秒，%(rate)s 行/秒") % {
            "label": label, "rows": f"{rows:,}", "s": elapsed, "rate": f"{rows / elapsed:,.0f}"})


def _spread(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """``total`` split in proportion to ``weights`` (integers that add up to ``total``)."""
    if not weights:
        return []
    scale = total / (sum(weights) or 1)
    counts = [int(w * scale) for w in weights]
    for index in rng.choices(range(len(weights)), weights, k=total - sum(counts)):
        counts[index] += 1
    return counts


def _audit_triggers() -> list[str]:
    """The audit (pghistory) triggers of the tables written here, as pgtrigger URIs."""
    return [f"{model._meta.label}:{trigger.name}"
            for model in (Customer, Contact, FollowUp, BusinessRecord)
            for trigger in getattr(model._meta, "triggers", []) if audit.is_tracked(model)
            and trigger.name.startswith(("insert", "update", "delete"))]
