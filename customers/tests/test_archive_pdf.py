"""大客户档案 (QR-8.2-01) printed: header, the customer's Chinese content, totals; 404 for those who may not see it."""
import datetime as dt
from decimal import Decimal

from django.urls import reverse

from customers.models import BusinessRecord, Contact, FollowUpKind, Grade, Visit, VisitStatus
from customers.services.records import create_customer, record_follow_up
from qms.tests.test_pdf import pdf_text


def archived_customer(people):
    sales2 = people["sales2"]
    customer = create_customer(
        by=sales2, name="苏州瑞达精密制造有限公司", grade=Grade.A, address="工业园区星湖街 88 号", phone="0512-66881234",
        organisation="董事会下设采购部、技术部、质量部", business_situation="年产值约两亿元，订单稳定增长",
        major_events="2025 年通过 ISO 13485 认证", competition="主要竞争对手为本地两家供应商",
        needs="希望缩短交期至两周", shareholders="创始人控股 60%", stock_info="未上市",
        bank_accounts="工商银行苏州分行 6222 0000 1234", service_notes="每季度上门回访一次", other_info="客户偏好微信沟通",
        contacts=[Contact(name="周建国", position="采购经理", mobile="13812345678", is_primary=True),
                  Contact(name="吴晓梅", position="质量工程师", mobile="13987654321")],
    )
    BusinessRecord.objects.create(customer=customer, occurred_on=dt.date(2026, 1, 8), amount=Decimal("12000.50"),
                                  description="精密轴承订单", recorded_by=sales2)
    BusinessRecord.objects.create(customer=customer, occurred_on=dt.date(2026, 3, 2), amount=Decimal("8000"),
                                  description="备件采购", recorded_by=sales2)
    record_follow_up(customer, by=sales2, kind=FollowUpKind.CALL, content="电话确认二季度采购计划")
    Visit.objects.create(customer=customer, owner=sales2, status=VisitStatus.RECORDED, period_start=dt.date(2026, 3, 1),
                         period_end=dt.date(2026, 3, 31), content="走访技术部，了解新品需求", outcome="客户同意试样")
    return customer


def test_the_archive_pdf_prints_the_header_and_the_customers_archive_in_chinese(people, login):
    customer = archived_customer(people)
    response = login(people["sales2"]).get(reverse("customers:archive_pdf", args=[customer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    compact = text.replace(" ", "")
    assert "大客户档案" in text and "QR-8.2-01" in text and "A/0" in text
    assert "苏州瑞达精密制造有限公司" in compact
    # Contacts: the primary one marked, the other listed.
    assert "周建国（首要联系人）" in compact and "吴晓梅" in compact and "13987654321" in compact
    # Every archive section, with its text.
    for label, content in [("组织结构", "董事会下设采购部"), ("经营状况", "年产值约两亿元"), ("重大事件", "ISO13485"),
                           ("竞争情况", "主要竞争对手"), ("客户需求", "缩短交期至两周"), ("股东情况", "创始人控股60%"),
                           ("股票信息", "未上市"), ("银行账户", "工商银行苏州分行"), ("服务记录", "每季度上门回访"),
                           ("其他", "客户偏好微信沟通")]:
        assert label in compact and content in compact, label
    # Business records with their totals, the follow-up and the visit.
    assert "精密轴承订单" in compact and "12000.50" in compact
    assert "20000.50" in compact  # the total of both records
    assert "电话确认二季度采购计划" in compact
    assert "走访技术部，了解新品需求" in compact and "客户同意试样" in compact
    assert "第1页/共" in compact


def test_the_gm_may_print_any_customers_archive(people, login):
    customer = archived_customer(people)
    assert login(people["gm"]).get(reverse("customers:archive_pdf", args=[customer.pk])).status_code == 200


def test_someone_who_may_not_see_the_customer_gets_404_not_its_archive(people, login):
    customer = archived_customer(people)  # owned by sales2, who is in the sales department
    assert login(people["quality"]).get(reverse("customers:archive_pdf", args=[customer.pk])).status_code == 404
    assert login(people["sales"]).get(reverse("customers:archive_pdf", args=[customer.pk])).status_code == 200
