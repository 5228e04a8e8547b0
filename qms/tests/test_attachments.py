"""Attachments: content-checked types, a size limit, storage outside the static root, downloads only for
those who may see the record, voiding with a reason instead of deleting."""
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qms import audit
from qms.attachments import Attachment, AttachmentRefused, attach, void_attachment
from qms.tests.capa_helpers import raised_capa

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, capa, name, content, description=""):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(capa)
    return client.post(reverse("qms:attachment_upload", args=[content_type.pk, capa.pk]),
                       {"file": SimpleUploadedFile(name, content), "description": description}, follow=True)


@pytest.mark.parametrize("name,content", [("检验报告.pdf", PDF), ("照片.png", PNG), ("整改计划.docx", docx_bytes()),
                                          ("清单.csv", "编号,名称\n1,毛刺\n".encode("gb18030"))])
def test_allowed_files_are_stored_under_media_with_a_generated_name(people, login, media, settings, name, content):
    capa = raised_capa(people)
    page = upload(login(people["quality"]), capa, name, content, description="客户提供").content.decode()
    attachment = Attachment.objects.get()
    assert f"已上传附件：{name}" in page
    stored = Path(attachment.file.path)
    assert stored.is_file() and stored.read_bytes() == content
    assert stored.is_relative_to(media) and not stored.is_relative_to(Path(settings.STATIC_ROOT))
    assert name not in stored.name  # never the user's file name on disk
    assert attachment.original_name == name and attachment.size == len(content)


@pytest.mark.parametrize("name,content,message", [
    ("报告.pdf", b"MZ\x90\x00" + b"\x00" * 100, "文件内容与类型不符：报告.pdf 的内容不是 PDF 文件。"),
    ("照片.png", PDF, "文件内容与类型不符：照片.png 的内容不是 PNG 文件。"),
    ("计划.docx", b"PK\x03\x04" + b"\x00" * 50, "文件内容与类型不符：计划.docx 的内容不是 DOCX 文件。"),
    ("程序.exe", b"MZ\x90\x00", "不允许的文件类型：程序.exe"),
    ("空.pdf", b"", "所提交的是空文件。"),
])
def test_files_that_are_not_what_they_claim_are_refused_and_nothing_is_stored(people, login, media, name, content,
                                                                              message):
    capa = raised_capa(people)
    page = upload(login(people["quality"]), capa, name, content).content.decode()
    assert message in page
    assert not Attachment.objects.exists()
    assert not any(media.rglob("*.*")) if media.exists() else True


def test_a_file_over_the_limit_is_refused(people, login, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    capa = raised_capa(people)
    page = upload(login(people["quality"]), capa, "大文件.pdf", PDF + b"0" * 200).content.decode()
    assert "文件过大：大文件.pdf 为" in page and "上限 100" in page
    assert not Attachment.objects.exists()


def test_someone_who_may_not_see_the_record_can_neither_upload_nor_download(people, login):
    capa = raised_capa(people, responsible="production")
    attachment = attach(capa, SimpleUploadedFile("报告.pdf", PDF), by=people["quality"])
    client = login(people["sales2"])
    assert client.get(reverse("qms:attachment_download", args=[attachment.pk])).status_code == 404
    assert upload(client, capa, "x.pdf", PDF).status_code == 404
    assert Attachment.objects.count() == 1


def test_the_responsible_person_downloads_the_original_file(people, login):
    capa = raised_capa(people, responsible="production")
    attachment = attach(capa, SimpleUploadedFile("检验报告.pdf", PDF), by=people["quality"])
    response = login(people["production"]).get(reverse("qms:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"] and response["X-Content-Type-Options"] == "nosniff"


def test_voiding_needs_a_reason_keeps_the_file_and_is_in_the_history(people, login):
    capa = raised_capa(people)
    attachment = attach(capa, SimpleUploadedFile("报告.pdf", PDF), by=people["quality"])
    with pytest.raises(AttachmentRefused, match="作废附件须填写原因"):
        void_attachment(attachment, by=people["quality"], reason=" ")
    client = login(people["quality"])
    client.post(reverse("qms:attachment_void", args=[attachment.pk]), {"reason": "上传错了文件"})
    attachment.refresh_from_db()
    assert attachment.is_void and attachment.void_reason == "上传错了文件" and Path(attachment.file.path).exists()
    entries = audit.history_for(attachment)
    assert any(row["reason"] == "上传错了文件" for row in entries)
    page = client.get(capa.get_absolute_url() + "?tab=attachments").content.decode()
    assert "<del>" in page and "原因：上传错了文件" in page


def test_the_capa_page_has_an_attachments_tab_with_the_upload_form(people, login):
    capa = raised_capa(people)
    attach(capa, SimpleUploadedFile("现场照片.png", PNG), by=people["quality"])
    page = login(people["quality"]).get(capa.get_absolute_url() + "?tab=attachments").content.decode()
    assert 'data-tab="attachments"' in page and "现场照片.png" in page
    assert 'enctype="multipart/form-data"' in page and 'accept=".pdf,' in page


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
@pytest.mark.parametrize("padding", range(4))
def test_a_long_chinese_csv_is_accepted_wherever_the_sample_cuts_a_character(people, login, encoding, padding):
    # Only the first 8 KB are checked: a character cut at the end of that sample must not refuse the file.
    content = ("a" * padding + "编号,名称,毛刺\n" * 2000).encode(encoding)
    capa = raised_capa(people)
    page = upload(login(people["quality"]), capa, "清单.csv", content).content.decode()
    assert "已上传附件：清单.csv" in page
    assert Attachment.objects.get().size == len(content)


def test_when_the_row_cannot_be_saved_the_stored_file_is_removed_again(people, media, monkeypatch):
    from django.db import IntegrityError

    capa = raised_capa(people)

    def refuse(self, *args, **kwargs):
        raise IntegrityError("simulated failure after the file was written")

    monkeypatch.setattr(Attachment, "save", refuse)
    with pytest.raises(IntegrityError):
        attach(capa, SimpleUploadedFile("检验报告.pdf", PDF), by=people["quality"])
    assert not Attachment.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]
