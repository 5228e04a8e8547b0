"""One uploaded import file and what became of it (collected into qms/models.py for Django)."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.links import detail_url


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        VALIDATING = "validating", _("校验中")
        PREVIEW = "preview", _("预览")
        IMPORTING = "importing", _("导入中")
        IMPORTED = "imported", _("已导入")
        REVERTED = "reverted", _("已撤销")
        FAILED = "failed", _("失败")

    definition_key = models.CharField(_("导入类型"), max_length=50)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/", max_length=255)
    file_name = models.CharField(_("文件名"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT,
                                   related_name="import_batches")
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("无误行数"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    created_count = models.PositiveIntegerField(_("已创建记录数"), default=0)
    progress_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    # The current step (validation or commit) of a running batch: when it was handed over (to the task queue,
    # or run in the request), and the last sign of life from whoever runs it (None: not started yet). The beat
    # tick hands a batch over again when both are old (qms.excel.imports.resend_stalled_batches).
    queued_at = models.DateTimeField(_("提交处理时间"), null=True, blank=True)
    worked_at = models.DateTimeField(_("最近处理时间"), null=True, blank=True)
    # [{"row": 5, "column": "部门", "message": "…"}], in row order
    errors = models.JSONField(_("错误报告"), default=list, blank=True)
    # [[pk, fingerprint], …] of every record the import created: revert checks and deletes only these
    created_objects = models.JSONField(_("创建的记录"), default=list, blank=True)
    good_rows_only = models.BooleanField(_("只导入无误的行"), default=False)
    message = models.TextField(_("说明"), blank=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    reverted_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    reverted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="importbatch_user_recent"),
            models.Index(fields=["definition_key", "status"], name="importbatch_key_status"),
            # the beat tick's look for stalled batches
            models.Index(fields=["id"], name="importbatch_running",
                         condition=models.Q(status__in=["validating", "importing"])),
        ]

    def __str__(self):
        return f"{self.file_name}（{self.get_status_display()}）"

    get_absolute_url = detail_url("qms:import_batch")

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.IMPORTING)

    @property
    def is_waiting(self) -> bool:
        """Running, but nobody has started on the current step yet (e.g. the task queue was unavailable)."""
        return self.is_running and self.worked_at is None

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.progress_done / self.total_rows))
