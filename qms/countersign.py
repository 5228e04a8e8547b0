"""Countersign (会签): a record asks several departments or roles for their opinion in parallel.

    countersign.register(Contract, give_url="customers:contract_opinion",
                         resolve_url="customers:contract_opinion_resolve", may_resolve=is_convener)
    countersign.request_opinions(contract, [Party(Role.PRODUCTION, _("产能、交期")), ...], by=user)

Each opinion is a row (``Opinion``) of the record's round: its party (a role, optionally one named person), a
verdict (同意 / 有条件同意 / 不同意), the opinion's text and a 解决方案/对策, signed with the password (meaning 审核).
Each pending opinion runs a clock on the working-day calendar (``OPINION_DUE``: ``QMS_COUNTERSIGN_WORKING_DAYS``,
default 1 working day) with the reminders and escalations of every deadline. A disagreement is either resolved
(the resolution and who recorded it) or the opinion is given again: the earlier row stays, signed as it was, and
is marked superseded by the new one. A later re-review (a contract change, a management review's follow-up) is a
new ``round``: the earlier rounds stay on record.

What the record's own workflow asks: ``missing(record)``, ``unresolved(record)`` and ``refusal(record)`` (the
text a guard refuses with, naming the departments). ``render_opinions_tab`` is the shared tab;
``GiveOpinionView`` and ``ResolveDisagreementView`` the shared actions, which each app wires with its model.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max, Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from qms import audit, deadlines, signatures
from qms.deadlines import DeadlineRule
from qms.refusals import Refused
from qms.views.actions import RecordActionView
from qms.workdays import add_working_days


# the parties are roles, stored by their group's name and shown through the catalogue (``Opinion.party_label``)
PARTY_NAMES = (gettext_noop("销售"), gettext_noop("销售副总"), gettext_noop("PMC"), gettext_noop("生产"),
               gettext_noop("采购"), gettext_noop("品质"), gettext_noop("技术工程"), gettext_noop("财务"))


class Verdict(models.TextChoices):
    AGREE = "agree", _("同意")
    CONDITIONAL = "conditional", _("有条件同意")
    DISAGREE = "disagree", _("不同意")


@audit.track()
class Opinion(models.Model):
    """One party's opinion in one round of a record's countersign."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("记录类型"))
    object_id = models.PositiveBigIntegerField(_("记录编号"))
    record = GenericForeignKey("content_type", "object_id")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    party = models.CharField(_("会签部门/岗位"), max_length=40)
    topic = models.CharField(_("评审内容"), max_length=200, blank=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("评审人"))
    # only the named person answers (the salesperson of the contract), not any holder of the role
    only_responsible = models.BooleanField(_("仅限指定评审人"), default=False)
    requested_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("发起人"))
    verdict = models.CharField(_("评审结论"), max_length=20, choices=Verdict.choices, blank=True)
    text = models.TextField(_("评审意见"), blank=True)
    solution = models.TextField(_("解决方案/对策"), blank=True)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("签署人"))
    given_at = models.DateTimeField(_("签署时间"), null=True, blank=True)
    signature = models.OneToOneField(signatures.Signature, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("签名"))
    resolution = models.TextField(_("分歧处理结果"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("处理人"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    superseded_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="supersedes", verbose_name=_("已被重新给出的意见取代"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    # what the reviewer's signature binds: the opinion as given (a later resolution or supersession keeps it valid)
    SIGNED_FIELDS = ("content_type_id", "object_id", "round", "party", "verdict", "text", "solution", "given_by_id")

    class Meta:
        verbose_name = _("会签意见")
        verbose_name_plural = _("会签意见")
        ordering = ["round", "order", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "round"], name="opinion_record"),
                   models.Index(fields=["content_type", "party"], name="opinion_party"),
                   models.Index(fields=["responsible", "content_type"], name="opinion_responsible")]

    def __str__(self):
        return f"{self.record} · {self.party_label}"

    @property
    def party_label(self) -> str:
        return gettext(self.party)

    @property
    def is_pending(self) -> bool:
        return not self.verdict and self.withdrawn_at is None

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None and self.withdrawn_at is None

    @property
    def is_unresolved(self) -> bool:
        return self.verdict == Verdict.DISAGREE and self.resolved_at is None and self.is_current

    def get_absolute_url(self):
        record = self.record
        return f"{record.get_absolute_url()}?tab=opinions" if record is not None else "/"


@dataclass(frozen=True)
class Party:
    """Who is asked: a role (the Django group's name), what they review, and optionally the one person who
    answers (``only_responsible``); without a person, the manager holding the role (else its first holder)."""

    role: str
    topic: str = ""
    responsible: object = None
    only_responsible: bool = False


@dataclass(frozen=True)
class Registration:
    model: type
    give_url: str
    resolve_url: str
    may_resolve: object  # (record, user) -> bool


_registered: dict[type, Registration] = {}


def register(model, *, give_url: str, resolve_url: str, may_resolve) -> Registration:
    """Declare that ``model``'s records are countersigned; the URL names take ``(record pk, opinion pk)``."""
    registration = Registration(model, give_url, resolve_url, may_resolve)
    _registered[model] = registration
    return registration


def registration_for(record) -> Registration:
    try:
        return _registered[type(record)]
    except KeyError:
        raise LookupError(f"{type(record)._meta.label} is not registered with qms.countersign") from None


# --- the clock -----------------------------------------------------------------------------------------
def working_days() -> int:
    return getattr(settings, "QMS_COUNTERSIGN_WORKING_DAYS", 1)


OPINION_DUE = DeadlineRule("countersign_opinion", _("会签意见：{record}"),
                           due=lambda opinion, start: add_working_days(start, working_days()),
                           responsible=lambda opinion: opinion.responsible, start="requested_at",
                           condition=lambda opinion: opinion.is_pending)


def responsible_for_role(role: str):
    """The person asked for a role's opinion: a department manager holding the role, else its first holder."""
    from qms.people import User

    holders = User.objects.filter(groups__name=role, is_active=True)
    return (holders.filter(managed_departments__isnull=False).order_by("pk").first()
            or holders.order_by("pk").first())


# --- reads ---------------------------------------------------------------------------------------------
def _of(record):
    return Opinion.objects.filter(content_type=ContentType.objects.get_for_model(record, for_concrete_model=False),
                                  object_id=record.pk)


def current_round(record) -> int:
    """The record's latest round (0: never asked)."""
    return _of(record).aggregate(n=Max("round"))["n"] or 0


def opinions_for(record, round: int | None = None):
    """The current opinions of ``round`` (default: the latest): neither superseded nor withdrawn."""
    round = current_round(record) if round is None else round
    return (_of(record).filter(round=round, superseded_by__isnull=True, withdrawn_at__isnull=True)
            .select_related("responsible", "given_by", "resolved_by", "signature"))


def missing(record, round: int | None = None) -> list[Opinion]:
    return [opinion for opinion in opinions_for(record, round) if opinion.is_pending]


def unresolved(record, round: int | None = None) -> list[Opinion]:
    return [opinion for opinion in opinions_for(record, round) if opinion.is_unresolved]


def refusal(record, round: int | None = None, *, missing_only: bool = False) -> str | None:
    """Why the countersign does not allow the record on yet: the departments whose opinion is missing and those
    whose disagreement is unresolved (None: complete)."""
    rows = list(opinions_for(record, round))
    if not rows:
        return gettext("尚未发起会签。")
    reasons = []
    waiting = [row.party_label for row in rows if row.is_pending]
    if waiting:
        reasons.append(gettext("以下部门尚未给出评审意见：%(parties)s") % {"parties": "、".join(waiting)})
    if not missing_only:
        disputed = [row.party_label for row in rows if row.is_unresolved]
        if disputed:
            reasons.append(gettext("以下部门的不同意意见尚未解决：%(parties)s") % {"parties": "、".join(disputed)})
    return "；".join(reasons) if reasons else None


def asked_of(user, model) -> Q:
    """A filter on ``model``: the records whose countersign asked ``user`` (by name or by one of the user's roles),
    for the visibility rules of the apps (a reviewer sees what he is asked to review)."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    asked = Opinion.objects.filter(content_type=content_type).filter(
        Q(responsible=user) | Q(only_responsible=False, party__in=sorted(user.role_names())))
    return Q(pk__in=asked.values("object_id"))


def may_give(opinion: Opinion, user) -> bool:
    if not (user and user.is_active) or not opinion.is_current:
        return False
    if user.is_superuser or opinion.responsible_id == user.pk:
        return True
    return not opinion.only_responsible and user.has_role(opinion.party)


def may_resolve(opinion: Opinion, record, user) -> bool:
    return bool(opinion.is_unresolved and user and user.is_active
                and (user.is_superuser or registration_for(record).may_resolve(record, user)))


# --- services ------------------------------------------------------------------------------------------
class CountersignRefused(Refused):
    """A countersign step that was not made; ``str(error)`` says why."""


def request_opinions(record, parties, *, by, new_round: bool = True) -> list[Opinion]:
    """Ask ``parties`` for their opinion: in a new round (a first review or a re-review), or added to the current
    round (``new_round=False``: one more department asked). Each pending opinion opens its clock."""
    parties = list(parties)
    if not parties:
        raise CountersignRefused(gettext("请至少选择一个会签部门。"))
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    with transaction.atomic(), audit.context(user=by, reason=gettext("发起会签")):
        latest = current_round(record)
        round_ = latest + 1 if new_round or latest == 0 else latest
        asked = {row.party for row in opinions_for(record, round_)} if not new_round else set()
        created = []
        now = timezone.now()
        for order, party in enumerate(parties, start=len(asked) + 1):
            if party.role in asked:
                continue
            responsible = party.responsible or responsible_for_role(party.role)
            if responsible is None:
                raise CountersignRefused(gettext("没有人担任“%(role)s”，无法发起会签。") % {"role": gettext(party.role)})
            opinion = Opinion.objects.create(
                content_type=content_type, object_id=record.pk, round=round_, order=order, party=party.role,
                topic=str(party.topic), responsible=responsible, only_responsible=party.only_responsible,
                requested_at=now, requested_by=by)
            deadline = OPINION_DUE.open(opinion)
            created.append(opinion)
            _tell(opinion, record, deadline)
        if created:
            audit.note(record, user=by, reason=gettext("第 %(round)d 轮会签：%(parties)s") % {
                "round": round_, "parties": "、".join(o.party_label for o in created)})
    return created


def _tell(opinion: Opinion, record, deadline) -> None:
    """The person asked is told at once (in the portal and by e-mail), with the due time."""
    from qms.notifications import notify

    due = timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M") if deadline else ""
    notify(opinion.responsible,
           lambda: gettext("请给出会签意见（%(party)s）：%(record)s") % {"party": opinion.party_label, "record": record},
           lambda: gettext("评审内容：%(topic)s；截止时间 %(due)s。") % {"topic": opinion.topic or "—", "due": due},
           link=opinion.get_absolute_url())


def give_opinion(opinion: Opinion, by, *, verdict: str, text: str = "", solution: str = "",
                 password: str) -> Opinion:
    """Record ``by``'s opinion, signed (审核). A pending opinion is filled in; an opinion already given is given
    again as a new row that supersedes it (the earlier signature stays valid on what it signed)."""
    if verdict not in Verdict.values:
        raise CountersignRefused(gettext("请选择评审结论。"))
    text, solution = (text or "").strip(), (solution or "").strip()
    if verdict != Verdict.AGREE and not text:
        raise CountersignRefused(gettext("“%(verdict)s”须写明意见或条件。") % {"verdict": Verdict(verdict).label})
    if not may_give(opinion, by):
        raise CountersignRefused(gettext("您不是“%(party)s”的评审人。") % {"party": opinion.party_label})
    signatures.check_password_or_refuse(by, password)
    now = timezone.now()
    with transaction.atomic(), audit.context(user=by, reason=gettext("会签意见：%(verdict)s") % {
            "verdict": Verdict(verdict).label}):
        if opinion.verdict:
            fresh = Opinion.objects.select_for_update().get(pk=opinion.pk)
            if not fresh.is_current:
                raise CountersignRefused(gettext("此记录已被他人更新，请刷新后重试。"))
            target = Opinion.objects.create(
                content_type_id=opinion.content_type_id, object_id=opinion.object_id, round=opinion.round,
                order=opinion.order, party=opinion.party, topic=opinion.topic, responsible=opinion.responsible,
                only_responsible=opinion.only_responsible, requested_at=now, requested_by=by,
                verdict=verdict, text=text, solution=solution, given_by=by, given_at=now)
            Opinion.objects.filter(pk=opinion.pk).update(superseded_by=target)
        else:
            changed = Opinion.objects.filter(pk=opinion.pk, verdict="", superseded_by__isnull=True,
                                             withdrawn_at__isnull=True).update(
                verdict=verdict, text=text, solution=solution, given_by=by, given_at=now)
            if changed != 1:
                raise CountersignRefused(gettext("此记录已被他人更新，请刷新后重试。"))
            target = Opinion.objects.get(pk=opinion.pk)
            deadlines.close_deadlines(target, (OPINION_DUE.kind,))
        signature = signatures.sign(target, by, password, signatures.Meaning.REVIEW, comment=text,
                                    step=target.party)
        Opinion.objects.filter(pk=target.pk).update(signature=signature)
        target.signature = signature
        record = target.record
        if record is not None and audit.is_tracked(type(record)._meta.concrete_model):
            audit.note(record, user=by, reason=gettext("%(party)s 会签意见：%(verdict)s") % {
                "party": target.party_label, "verdict": target.get_verdict_display()})
    return target


def resolve(opinion: Opinion, by, *, resolution: str) -> Opinion:
    """Record how a disagreement was resolved, and by whom (the convener of the countersign)."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise CountersignRefused(gettext("请填写分歧的处理结果。"))
    record = opinion.record
    if not opinion.is_unresolved:
        raise CountersignRefused(gettext("此意见没有待解决的分歧。"))
    if not may_resolve(opinion, record, by):
        raise CountersignRefused(gettext("只有会签的组织者可以处理分歧。"))
    with transaction.atomic(), audit.context(user=by, reason=gettext("处理会签分歧")):
        changed = Opinion.objects.filter(pk=opinion.pk, resolved_at__isnull=True, superseded_by__isnull=True).update(
            resolution=resolution, resolved_by=by, resolved_at=timezone.now())
        if changed != 1:
            raise CountersignRefused(gettext("此记录已被他人更新，请刷新后重试。"))
        if record is not None and audit.is_tracked(type(record)._meta.concrete_model):
            audit.note(record, user=by, reason=gettext("%(party)s 的不同意意见已处理：%(resolution)s") % {
                "party": opinion.party_label, "resolution": resolution})
    opinion.refresh_from_db()
    return opinion


def withdraw_pending(record, by) -> int:
    """The record left review (cancelled, rejected): its pending opinions are withdrawn and their clocks stopped."""
    pending = list(_of(record).filter(verdict="", withdrawn_at__isnull=True, superseded_by__isnull=True))
    with transaction.atomic(), audit.context(user=by, reason=gettext("撤回未给出的会签意见")):
        for opinion in pending:
            deadlines.close_deadlines(opinion, (OPINION_DUE.kind,), state=deadlines.Deadline.State.CANCELLED)
        Opinion.objects.filter(pk__in=[o.pk for o in pending]).update(withdrawn_at=timezone.now())
    return len(pending)


# --- the shared tab --------------------------------------------------------------------------------------
def open_dues(opinions) -> dict[int, dt.datetime]:
    ids = [opinion.pk for opinion in opinions if opinion.is_pending]
    if not ids:
        return {}
    rows = deadlines.Deadline.objects.filter(content_type=ContentType.objects.get_for_model(Opinion),
                                             object_id__in=ids, kind=OPINION_DUE.kind,
                                             state=deadlines.Deadline.State.OPEN)
    return {row.object_id: row for row in rows}


def rows_for(record, user=None) -> list[dict]:
    """Every opinion of every round, latest round first, each with its signature state, due time and what
    ``user`` may do on it."""
    opinions = list(_of(record).select_related("responsible", "given_by", "resolved_by", "signature")
                    .order_by("-round", "order", "pk"))
    dues = open_dues(opinions)
    registration = _registered.get(type(record))
    latest = opinions[0].round if opinions else 0
    rows = []
    for opinion in opinions:
        row = {"opinion": opinion, "due": dues.get(opinion.pk), "signed": opinion.signature is not None,
               "signature_valid": opinion.signature.is_valid_for(opinion) if opinion.signature else False,
               "give_url": None, "resolve_url": None, "latest": opinion.round == latest}
        if user is not None and registration is not None and opinion.round == latest and may_give(opinion, user):
            row["give_url"] = reverse(registration.give_url, args=[record.pk, opinion.pk])
        if user is not None and registration is not None and opinion.is_unresolved \
                and registration.may_resolve(record, user):
            row["resolve_url"] = reverse(registration.resolve_url, args=[record.pk, opinion.pk])
        rows.append(row)
    return rows


def render_opinions_tab(request, record) -> str:
    return render_to_string("qms/includes/countersign.html", {
        "record": record, "rows": rows_for(record, request.user), "refusal": refusal(record)
        if current_round(record) else None}, request=request)


# --- the shared actions -------------------------------------------------------------------------------------
def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class OpinionForm(forms.Form):
    verdict = forms.ChoiceField(label=_("评审结论"), choices=Verdict.choices, widget=forms.RadioSelect,
                                error_messages={"required": _("请选择评审结论。")})
    text = forms.CharField(label=_("评审意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           help_text=_("有条件同意或不同意时须写明条件或理由"))
    solution = forms.CharField(label=_("解决方案/对策"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                               help_text=_("能力不足（产能、交期、物料、检测）时须记录的解决方案或对策"))
    password = forms.CharField(label=_("密码（确认身份）"), widget=forms.PasswordInput,
                               error_messages={"required": _("请输入密码以签名。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if data.get("verdict") in (Verdict.CONDITIONAL, Verdict.DISAGREE) and not (data.get("text") or "").strip():
            self.add_error("text", _("有条件同意或不同意时须写明条件或理由。"))
        return data


class ResolutionForm(forms.Form):
    resolution = forms.CharField(label=_("分歧处理结果"), widget=forms.Textarea(attrs={"rows": 3}),
                                 error_messages={"required": _("请填写分歧的处理结果。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class _OpinionActionView(RecordActionView):
    """The record (visible or 404) and one of its opinions (``opinion`` in the URL, else 404)."""

    template_name = "qms/countersign_form.html"
    tab = "opinions"

    def get_record(self):
        record = super().get_record()
        opinion = _of(record).select_related("responsible", "given_by").filter(pk=self.kwargs["opinion"]).first()
        if opinion is None:
            raise Http404
        self.opinion = opinion
        return record

    def get_context_data(self, record, form, **kwargs):
        return super().get_context_data(record, form, opinion=self.opinion, **kwargs)


class GiveOpinionView(_OpinionActionView):
    form_class = OpinionForm
    success_message = _("评审意见已签署。")
    title = _("会签意见")

    def refusal(self, record):
        if self.opinion.round != current_round(record) or not self.opinion.is_current:
            return gettext("此意见已不是当前轮次的意见。")
        if not may_give(self.opinion, self.request.user):
            return gettext("您不是“%(party)s”的评审人。") % {"party": self.opinion.party_label}
        return None

    def get_form_kwargs(self, record):
        kwargs = super().get_form_kwargs(record)
        if self.opinion.verdict and self.request.method != "POST":
            kwargs["initial"] = {"verdict": self.opinion.verdict, "text": self.opinion.text,
                                 "solution": self.opinion.solution}
        return kwargs

    def perform(self, record, form):
        data = form.cleaned_data
        return give_opinion(self.opinion, self.request.user, verdict=data["verdict"], text=data["text"],
                            solution=data["solution"], password=data["password"])


class ResolveDisagreementView(_OpinionActionView):
    form_class = ResolutionForm
    success_message = _("分歧处理结果已记录。")
    title = _("处理会签分歧")

    def refusal(self, record):
        if not self.opinion.is_unresolved:
            return gettext("此意见没有待解决的分歧。")
        if not may_resolve(self.opinion, record, self.request.user):
            return gettext("只有会签的组织者可以处理分歧。")
        return None

    def perform(self, record, form):
        return resolve(self.opinion, self.request.user, resolution=form.cleaned_data["resolution"])
