"""The company profile: every PDF and every outgoing letter names the company that issues it, never the
software (issue 14, item 3)."""
import io
import struct
import zlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pypdf import PdfReader

from qms import audit, company
from qms.demo import DEMO_COMPANY
from qms.tests.cases import count_queries
from qms.tests.test_pdf import pdf_text
from qms.views.records import RecordPdfView

SOFTWARE_NAMES = ("QMS Portal", "QMS 质量管理平台")

# the PDFs whose URL names more than the record (``pk``): how to find one record's arguments
EXTRA_ARGUMENTS = {
    "renovation:violation_notice_pdf": lambda view: _violation_notice_arguments(),
    "renovation:rectification_notice_pdf": lambda view: _rectification_notice_arguments(),
    "changes:letter": lambda view: _change_letter_arguments(),
}
# a record the PDF can be printed for (the permit exists only once issued, pass cards once passes are)
RECORD_FILTERS = {
    "renovation:permit_pdf": {"permit_issued_at__isnull": False},
    "renovation:passes_pdf": {"permit_issued_at__isnull": False},
}


def _change_letter_arguments():
    from changes.models import ChangeRequest

    change = ChangeRequest.objects.filter(customers__isnull=False).order_by("pk").first()
    return change and {"pk": change.pk, "customer": change.customers.order_by("pk").first().pk}


def _violation_notice_arguments():
    from renovation.models import ActionKind, ViolationAction

    action = ViolationAction.objects.filter(kind=ActionKind.NOTICE).order_by("pk").first()
    return action and {"pk": action.violation_id, "action_pk": action.pk}


def _rectification_notice_arguments():
    from renovation.models import AcceptanceInspection

    inspection = AcceptanceInspection.objects.filter(passed=False).order_by("pk").first()
    return inspection and {"pk": inspection.application_id, "inspection_pk": inspection.pk}


def pdf_url_patterns():
    """Every URL whose view prints a PDF: a RecordPdfView, or a URL named …pdf. [(name, pattern)]"""
    found = []

    def walk(resolver, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                view_class = getattr(entry.callback, "view_class", None)
                is_pdf_view = isinstance(view_class, type) and issubclass(view_class, RecordPdfView)
                if is_pdf_view or entry.name.endswith("pdf"):
                    found.append((f"{namespace}{entry.name}", entry))

    walk(get_resolver(), "")
    return found


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _arguments(name, pattern, admin):
    view_class = pattern.callback.view_class
    if name in EXTRA_ARGUMENTS:
        return EXTRA_ARGUMENTS[name](view_class)
    assert set(pattern.pattern.converters) == {"pk"}, f"{name}: say in EXTRA_ARGUMENTS how to find its arguments"
    view = view_class()
    view.setup(RequestFactory().get("/"), pk=0)
    view.request.user = admin
    record = view.get_queryset().filter(**RECORD_FILTERS.get(name, {})).order_by("pk").first()
    return record and {"pk": record.pk}


@pytest.fixture
def demo(db, people):
    with time_machine.travel("2026-11-16 10:00 +08:00", tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    return people


def _png(width=4, height=4) -> bytes:
    """A small valid red PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _collect_images(resources, found: set) -> None:
    """The images drawn with ``resources``, also inside form XObjects (a translucent seal is drawn in one)."""
    for reference in (resources.get("/XObject") or {}).values():
        xobject = reference.get_object()
        if xobject.get("/Subtype") == "/Image":
            found.add(xobject.indirect_reference.idnum)
        elif xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            _collect_images(xobject["/Resources"].get_object(), found)


def test_every_pdf_names_the_company_and_never_the_software(demo, login):
    admin = demo["admin"]
    client = login(admin)
    patterns = pdf_url_patterns()
    covered = {pattern.callback.view_class for _name, pattern in patterns}
    assert set(_all_subclasses(RecordPdfView)) <= covered, "a PDF view without a URL named …pdf"
    assert len(patterns) >= 13
    for name, pattern in patterns:
        arguments = _arguments(name, pattern, admin)
        assert arguments, f"the demo data has no record to print {name}"
        with count_queries() as queries:
            response = client.get(reverse(name, kwargs=arguments))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", name
        text = pdf_text(response.content)
        assert DEMO_COMPANY["name"] in text, name
        for software in SOFTWARE_NAMES:
            assert software not in text, f"{name} prints {software}"
        # the profile is read once per PDF, however many places print it
        profile_reads = [q for q in queries.captured_queries if 'FROM "qms_companyprofile"' in q["sql"]]
        assert len(profile_reads) == 1, name


def test_the_reply_letter_carries_the_company_letterhead_and_seal_area(demo, login):
    from complaints.models import Complaint

    complaint = Complaint.objects.order_by("pk").first()
    text = pdf_text(login(demo["service"]).get(reverse("complaints:reply_pdf", args=[complaint.pk])).content)
    compact = text.replace(" ", "")
    assert DEMO_COMPANY["address"].replace(" ", "") in compact
    assert DEMO_COMPANY["phone"].replace(" ", "") in compact
    assert f"{DEMO_COMPANY['name']}（盖章）" in compact


def test_the_adverse_event_report_and_advisory_notice_are_issued_by_the_company(demo, login):
    from complaints.models import AdvisoryNotice, Complaint

    client = login(demo["mr"])
    event = Complaint.objects.filter(is_adverse_event=True).order_by("pk").first()
    report = pdf_text(client.get(reverse("complaints:adverse_pdf", args=[event.pk])).content)
    assert any("报告单位" in line and DEMO_COMPANY["name"] in line for line in report.splitlines())
    notice = AdvisoryNotice.objects.order_by("pk").first()
    text = pdf_text(client.get(reverse("complaints:notice_pdf", args=[notice.pk])).content)
    assert any("发布单位" in line and DEMO_COMPANY["name"] in line for line in text.splitlines())
    assert f"如有疑问，请与 {DEMO_COMPANY['name']} 管理者代表联系" in text


def test_without_a_company_name_pdfs_say_it_is_not_set_and_admins_are_asked_to_fill_it_in(people, login):
    from qms.tests.capa_helpers import raised_capa

    assert not company.load().is_set  # the migration's row starts empty
    capa = raised_capa(people)
    text = pdf_text(login(people["quality"]).get(reverse("qms:capa_pdf", args=[capa.pk])).content)
    assert "（公司名称未设置）" in text
    assert not any(software in text for software in SOFTWARE_NAMES)

    home = login(people["admin"]).get(reverse("home")).content.decode()
    assert 'id="company-profile-unset"' in home and "尚未填写公司信息" in home
    assert reverse("admin:qms_companyprofile_changelist") in home
    assert "尚未填写公司信息" not in login(people["sales"]).get(reverse("home")).content.decode()

    company.CompanyProfile.objects.filter(pk=company.PROFILE_PK).update(name="华信医疗器械有限公司")
    assert "尚未填写公司信息" not in login(people["admin"]).get(reverse("home")).content.decode()


def test_only_staff_who_may_edit_the_profile_are_asked_to_fill_it_in_and_others_pay_no_permission_queries(people,
                                                                                                            login):
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert not company.load().is_set
    quality = people["quality"]
    quality.user_permissions.add(Permission.objects.get(codename="change_companyprofile"))
    # the notice's link opens the admin site, which only staff may enter: a permission without it asks nothing
    with CaptureQueriesContext(connection) as queries:
        home = login(quality).get(reverse("home")).content.decode()
    assert "尚未填写公司信息" not in home
    assert not [q for q in queries.captured_queries if '"auth_permission"' in q["sql"]]

    quality.is_staff = True
    quality.save(update_fields=["is_staff"])
    home = login(quality).get(reverse("home")).content.decode()
    assert 'id="company-profile-unset"' in home and reverse("admin:qms_companyprofile_changelist") in home


def test_the_admin_edits_the_single_company_profile_with_its_seal_printed_on_the_reply(people, login, settings,
                                                                                         tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(people["admin"])
    # the list opens the one row; there is no adding a second one
    response = client.get(reverse("admin:qms_companyprofile_changelist"))
    assert response.status_code == 302
    change_url = reverse("admin:qms_companyprofile_change", args=[company.PROFILE_PK])
    assert response["Location"] == change_url
    page = client.get(change_url)
    assert page.status_code == 200 and "公司名称" in page.content.decode() and "公章图片" in page.content.decode()
    assert client.get(reverse("admin:qms_companyprofile_add")).status_code == 403

    data = {"name": "华信医疗器械有限公司", "short_name": "华信医疗", "address": "上海市浦东新区张江路 1888 号",
            "phone": "021-50801888"}
    # a file that is not a PNG or JPEG image, whatever its name, is refused with the reason
    refused = client.post(change_url, {**data, "seal": SimpleUploadedFile("seal.png", b"%PDF-1.4 not an image")})
    assert refused.status_code == 200 and "只能上传 PNG 或 JPEG 图片：seal.png 不是。" in refused.content.decode()
    settings.QMS_COMPANY_IMAGE_MAX_BYTES = 40
    too_large = client.post(change_url, {**data, "seal": SimpleUploadedFile("seal.png", _png(20, 20))})
    assert "图片过大：seal.png" in too_large.content.decode()
    settings.QMS_COMPANY_IMAGE_MAX_BYTES = 1024 * 1024
    assert not company.load().is_set and not company.load().seal

    saved = client.post(change_url, {**data, "seal": SimpleUploadedFile("seal.png", _png(8, 8)),
                                     "logo": SimpleUploadedFile("logo.png", _png(4, 4))})
    assert saved.status_code == 302
    profile = company.load()
    assert profile.name == "华信医疗器械有限公司" and profile.seal.name.startswith("company/")
    assert "data:image/png;base64," in client.get(change_url).content.decode()  # the preview
    # the audit trail says who changed the name printed on every letter
    change = audit.event_model(company.CompanyProfile).objects.filter(name="华信医疗器械有限公司").get()
    assert change.pgh_label == "update" and change.pgh_context["user"] == people["admin"].pk

    from complaints.tests.factories import received

    complaint = received(people)
    response = login(people["admin"]).get(reverse("complaints:reply_pdf", args=[complaint.pk]))
    text = pdf_text(response.content).replace(" ", "")
    assert "华信医疗器械有限公司（盖章）" in text and "021-50801888" in text
    images = set()
    for page in PdfReader(io.BytesIO(response.content)).pages:
        _collect_images(page["/Resources"], images)
    assert len(images) == 2  # the logo in the header and the seal

    # editing the other fields keeps the stored images, without reopening them (even one gone from the disk)
    (tmp_path / profile.logo.name).unlink()
    assert login(people["admin"]).post(change_url, {**data, "phone": "021-50801999"}).status_code == 302
    edited = company.load()
    assert edited.phone == "021-50801999" and edited.seal.name == profile.seal.name
    assert edited.logo.name == profile.logo.name


def test_the_quarterly_adverse_event_report_names_the_company_as_reporter(people, login):
    import openpyxl

    from qms.demo import create_demo_company

    create_demo_company()
    response = login(people["mr"]).get(reverse("complaints:adverse_quarterly"), {"quarter": "2026Q2"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = [tuple(row) for row in workbook["汇总"].iter_rows(values_only=True)]
    assert summary[1][:2] == ("报告单位", DEMO_COMPANY["name"])
