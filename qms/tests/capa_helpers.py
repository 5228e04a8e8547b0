"""Building CAPAs in tests through the real services."""
import datetime as dt

from qms.capa import services
from qms.capa.models import CapaSource, CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.workflow import perform


def raised_capa(people, *, responsible="production", raised_by="quality", title="注塑件毛刺超标"):
    return services.raise_capa(
        source=CapaSource.COMPLAINT, title=title, nonconformity="客户反馈批次 B2611 毛刺超标 3 件",
        responsible=people[responsible], raised_by=people[raised_by],
    )


def planned_capa(people, **kwargs):
    capa = raised_capa(people, **kwargs)
    responsible = capa.responsible
    services.edit_plan(capa, responsible, cause_analysis="模具磨损未按期保养", plan="修模并增加首件检验")
    services.add_action(capa, responsible, description="修复模具", owner=responsible,
                        due_date=dt.date(2030, 1, 15))
    return capa


def submitted_capa(people, **kwargs):
    capa = planned_capa(people, **kwargs)
    perform(capa, CapaStatus.PLAN_SUBMITTED, capa.responsible)
    return capa


def approved_capa(people, **kwargs):
    capa = submitted_capa(people, **kwargs)
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD, comment="同意")
    return capa
