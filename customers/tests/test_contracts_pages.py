"""The contract list (filters, search, export, constant queries), the page's tabs and the PDF 《合同(订单)评审表》."""
import io

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse

from customers.contracts.models import ContractStatus
from customers.tests.contract_factories import PASSWORD, agree_all, line, make_contract, submit
from customers.tests.factories import make_customer
from qms import countersign, workflow
from qms.countersign import Verdict
from qms.people import Role
from qms.tests.cases import assert_queries_at_most, count_queries
from qms.tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
LIST = reverse("customers:contract_list")


def test_the_list_runs_the_same_queries_for_3_and_30_contracts(people, login, settings):
    settings.LIST_COUNTS_SECONDS = 0
    sales = people["sales"]
    customer = make_customer(sales)
    for _n in range(3):
        make_contract(sales, customer=customer)
    client = login(sales)
    client.get(LIST)
    with count_queries() as few:
        assert client.get(LIST).status_code == 200
    for _n in range(27):
        make_contract(sales, customer=customer)
    cache.clear()
    with assert_queries_at_most(len(few)):
        response = client.get(LIST)
    assert response.context["table"].paginator.count == 30


def test_search_filters_and_export(people, login):
    sales = people["sales"]
    make_contract(sales, title="留置针年度订单", lines=[line("静脉留置针")])
    make_contract(sales, title="输液器订单", within_capacity=False)
    make_contract(people["sales2"], title="别人的订单")
    client = login(people["sales2"])
    assert [row.title for row in client.get(LIST).context["table"].data] == ["别人的订单"]
    client = login(sales)  # the sales manager sees his department's contracts
    response = client.get(LIST, {"q": "留置针"})
    assert [row.title for row in response.context["table"].data] == ["留置针年度订单"]
    response = client.get(LIST, {"contract_class": "special"})
    assert [row.title for row in response.context["table"].data] == ["输液器订单"]
    response = client.get(LIST, {"q": "输液器订单", "export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
        values_only=True))
    assert rows[0][:3] == ("合同编号", "合同名称", "客户")
    assert [row[1] for row in rows[1:]] == ["输液器订单"]
    assert rows[1][4] == "非常规合同" and rows[1][5] == "草稿"


def test_the_page_shows_class_reasons_integrity_and_the_opinions_with_their_signatures(people, login):
    sales = people["sales"]
    contract = submit(make_contract(sales, within_capacity=False), sales)
    quality = next(o for o in countersign.opinions_for(contract) if o.party == Role.QUALITY)
    countersign.give_opinion(quality, people["quality"], verdict=Verdict.CONDITIONAL, text="需增加出厂检验项",
                             solution="外送第三方检测", password=PASSWORD)
    client = login(sales)
    overview = client.get(contract.get_absolute_url()).content.decode()
    assert "数量或交期超出产能范围" in overview and "客户信誉记录" in overview and "无逾期未回款" in overview
    opinions = client.get(contract.get_absolute_url(), {"tab": "opinions"}).content.decode()
    assert "需增加出厂检验项" in opinions and "外送第三方检测" in opinions and "已签名" in opinions
    assert "以下部门尚未给出评审意见：技术工程、生产、采购、销售" in opinions
    # the quality reviewer sees the contract (without the customer's integrity) and gives his opinion there
    page = login(people["engineering"]).get(contract.get_absolute_url(), {"tab": "opinions"}).content.decode()
    assert 'data-give="技术工程"' in page and 'data-give="品质"' not in page
    assert "客户信誉记录" not in login(people["engineering"]).get(contract.get_absolute_url()).content.decode()


def test_giving_an_opinion_on_its_page_needs_the_password_and_keeps_what_was_typed(people, login):
    sales = people["sales"]
    contract = submit(make_contract(sales, within_capacity=False), sales)
    production = next(o for o in countersign.opinions_for(contract) if o.party == Role.PRODUCTION)
    url = reverse("customers:contract_opinion", args=[contract.pk, production.pk])
    client = login(people["production"])
    response = client.post(url, {"verdict": "disagree", "text": "", "solution": "加班", "password": PASSWORD})
    assert response.status_code == 400 and "有条件同意或不同意时须写明条件或理由" in response.content.decode()
    response = client.post(url, {"verdict": "disagree", "text": "产能不足", "solution": "加班", "password": "x"})
    assert response.status_code == 409 and "密码错误" in response.content.decode()
    assert "产能不足" in response.content.decode()
    response = client.post(url, {"verdict": "disagree", "text": "产能不足", "solution": "加班",
                                 "password": PASSWORD})
    assert response.status_code == 302
    resolve = reverse("customers:contract_resolve", args=[contract.pk, production.pk])
    response = login(sales).post(resolve, {"resolution": "客户同意延期一周"}, follow=True)
    assert "分歧处理结果已记录。" in response.content.decode()
    production.refresh_from_db()
    assert production.resolved_by == sales


def test_the_pdf_has_the_company_lines_requirements_and_each_departments_opinion_and_signature(people, login):
    from qms.demo import create_demo_company

    create_demo_company()
    sales = people["sales"]
    contract = submit(make_contract(sales, in_stock=False, within_capacity=False,
                                    stated_requirements="符合YY0285.1标准", lines=[line("精密输液器")]), sales)
    production = next(o for o in countersign.opinions_for(contract) if o.party == Role.PRODUCTION)
    countersign.give_opinion(production, people["production"], verdict=Verdict.DISAGREE, text="本月产能已满",
                             password=PASSWORD)
    agree_all(contract, people)
    countersign.resolve(countersign.unresolved(contract)[0], sales, resolution="分两批交货")
    workflow.perform(contract, ContractStatus.AWAITING_APPROVAL, sales)
    workflow.perform(contract, ContractStatus.APPROVED, people["gm"], password=PASSWORD)
    response = login(sales).get(reverse("customers:contract_pdf", args=[contract.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(pdf_text(response.content, layout=False).split())  # a cell's text may wrap
    for expected in ("华信医疗器械有限公司", "合同(订单)评审表", "QR-8.2-01", "精密输液器", "符合YY0285.1标准",
                     "技术工程", "品质", "生产", "采购", "销售", "不同意", "本月产能已满", "分两批交货",
                     "杨生产", "陈品质", "王总"):
        assert expected in text, expected


def test_the_demo_contracts_cover_every_state_and_seeding_twice_adds_nothing(people):
    import io

    from customers.contracts.demo_review import seed_contracts
    from customers.contracts.models import Contract
    from customers.demo import seed_customers
    from qms.registry import registry

    assert seed_contracts in registry.demo_seeders
    out = io.StringIO()
    seed_customers(people, out)
    seed_contracts(people, out)
    seed_contracts(people, out)
    assert set(Contract.objects.values_list("status", flat=True)) == set(ContractStatus.values)
    assert Contract.objects.filter(title__startswith="演示").count() == Contract.objects.count() == 10
    in_review = Contract.objects.get(status=ContractStatus.IN_REVIEW)
    assert [o.party for o in countersign.unresolved(in_review)] == [Role.PRODUCTION]
    from customers.contracts.models import ChangeStatus, ContractChange

    assert set(ContractChange.objects.values_list("status", flat=True)) == set(ChangeStatus.values)
