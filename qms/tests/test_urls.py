"""Every URL of the core (the portal's own pages and the qms namespace: CAPA, staff, audit, imports, attachments,
moves, notifications) answers anonymous → login, a user who may not see the record → 404, one who may → 200."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.contrib.contenttypes.models import ContentType

from qms import notifications
from qms.attachments import attach
from qms.capa.models import CapaStatus
from qms.excel import imports
from qms.tests.capa_helpers import planned_capa, raised_capa
from qms.tests.cases import RecordUrls, UrlWalk, workbook

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def capa_kwargs(capa):
    return {"pk": capa.pk, "content_type_id": ContentType.objects.get_for_model(capa).pk, "object_id": capa.pk,
            "to": CapaStatus.PLAN_SUBMITTED}


def attachment(people):
    return attach(raised_capa(people), SimpleUploadedFile("检验报告.pdf", PDF), by=people["quality"])


def capa_action(people):
    return planned_capa(people).actions.get()


def staff_batch(people):
    """A staff import by HR with one good and one bad row (so it has an error workbook)."""
    uploaded = workbook([["zhangsan", "张三", "销售部", "销售", "", ""], ["lisi", "李四", "火星部", "", "", ""]],
                        headers=["账号", "姓名", "部门", "岗位", "邮箱", "手机"], name="通讯录.xlsx")
    return imports.start_import(imports.get_definition("staff"), uploaded, people["hr"])


ROOT = UrlWalk(
    None,
    pages=("home", "notifications", "password_change", "password_change_done"),
    actions=("notifications_read",),
    records=[
        # opening a notification leads on to its link
        RecordUrls(make=lambda people: notifications.notify(people["quality"], "请处理纠正措施", link="/qms/capa/"),
                   insider="quality", outsider="sales2", pages=("notification_open",), insider_status=302),
    ],
    exempt={"login": "the sign-in page itself", "logout": "signing out needs no account",
            "set_language": "anyone may choose the language of the sign-in page"},
)

CORE = UrlWalk(
    "qms",
    pages=("staff_list", "audit_trail", "audit_export", "import_list", "capa_list", "capa_export", "capa_raise"),
    records=[
        # every signed-in user sees the staff directory: nobody is an outsider
        RecordUrls(make=lambda people: people["production"], insider="sales2", outsider=None, pages=("staff_detail",)),
        # an import's key is no secret (it is in the menu): a user who may not import it is refused, 403
        RecordUrls(make=lambda people: "staff", kwargs=lambda key: {"key": key}, insider="hr", outsider="sales2",
                   outsider_status=403, pages=("import_start", "import_template")),
        RecordUrls(make=staff_batch, insider="hr", outsider="sales2",
                   pages=("import_batch", "import_progress", "import_errors"),
                   actions=("import_commit", "import_revert")),
        RecordUrls(make=raised_capa, kwargs=capa_kwargs, insider="quality", outsider="sales2",
                   pages=("capa_detail", "capa_pdf", "capa_plan"),
                   actions=("capa_action_add", "attachment_upload", "move")),
        RecordUrls(make=capa_action, kwargs=lambda action: {"pk": action.capa_id, "action_pk": action.pk},
                   insider="quality", outsider="sales2", actions=("capa_action_complete",)),
        RecordUrls(make=attachment, insider="quality", outsider="sales2",
                   pages=("attachment_download",), actions=("attachment_void",)),
    ],
)


@pytest.mark.parametrize("case", [*ROOT.cases(), *CORE.cases()])
def test_url(case, people, client):
    case.check(people, client)


@pytest.mark.parametrize("walk", [ROOT, CORE], ids=["root", "qms"])
def test_every_url_is_declared(walk):
    walk.assert_complete()


def test_the_walk_fails_for_a_url_nobody_declared_and_for_a_name_that_is_gone():
    with pytest.raises(AssertionError, match="does not declare: staff_detail"):
        UrlWalk("qms", pages=CORE.pages, records=CORE.records[1:]).assert_complete()
    with pytest.raises(AssertionError, match="no longer has: capa_gone"):
        UrlWalk("qms", pages=(*CORE.pages, "capa_gone"), records=CORE.records).assert_complete()
