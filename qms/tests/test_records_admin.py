"""The admin shows controlled records read-only, in Chinese, and never offers to delete them."""
import pytest
from django.urls import reverse

from qms.capa.models import Capa
from qms.tests.capa_helpers import approved_capa

MODELS = ["capa", "transition", "signature", "deadline", "deadlinenotice", "attachment"]


@pytest.mark.parametrize("model", MODELS)
def test_record_lists_open_in_chinese_with_their_rows(people, login, model):
    approved_capa(people)
    page = login(people["admin"]).get(reverse(f"admin:qms_{model}_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "QMS 质量管理平台 · 后台" in text
    assert reverse(f"admin:qms_{model}_add") not in text  # no "add" button: records come from the workflow
    assert 'name="action"' not in text or "delete_selected" not in text


def test_a_capa_cannot_be_edited_or_deleted_in_the_admin(people, login):
    capa = approved_capa(people)
    client = login(people["admin"])
    change = client.get(reverse("admin:qms_capa_change", args=[capa.pk])).content.decode()
    assert capa.number in change and 'name="title"' not in change and "deletelink" not in change
    assert client.get(reverse("admin:qms_capa_delete", args=[capa.pk])).status_code == 403
    response = client.post(reverse("admin:qms_capa_change", args=[capa.pk]), {"title": "改标题"})
    assert response.status_code == 403
    assert Capa.objects.get(pk=capa.pk).title == capa.title
    assert client.get(reverse("admin:qms_capa_add")).status_code == 403
