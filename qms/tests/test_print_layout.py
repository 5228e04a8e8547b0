"""Printed forms: a signer's name stays on one line in the signature table, however long the comment beside it
(CJK text may break between any two characters, so an auto-sized table squeezed the name column to one
character: "朱主/管")."""
import pytest
from django.urls import reverse

from qms.capa.models import CapaStatus
from qms.demo import DEMO_PASSWORD
from qms.tests.capa_helpers import submitted_capa
from qms.tests.test_pdf import pdf_text
from qms.workflow import perform

pytestmark = pytest.mark.django_db

LONG_COMMENT = ("同意按计划执行。请生产部在修模完成后提交首件检验记录，品质部跟踪三个批次的毛刺情况，"
                "如再次超标立即升级为严重不合格并通知客户服务部，同时评估对其他模具的影响。") * 2


def test_a_three_character_signer_name_prints_on_one_line_beside_a_long_comment(people, login):
    capa = submitted_capa(people)
    assert len(people["mr"].display_name) == 3  # 李代表
    perform(capa, CapaStatus.APPROVED, people["mr"], password=DEMO_PASSWORD, comment=LONG_COMMENT)

    response = login(people["quality"]).get(reverse("qms:capa_pdf", args=[capa.pk]))
    text = pdf_text(response.content)
    section = text[text.index("电子签名"):]
    assert "李代表" in section, f"the signer's name is broken across lines:\n{section}"
    assert "签名人" in section
