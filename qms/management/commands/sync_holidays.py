from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from qms.workdays import sync_holidays


class Command(BaseCommand):
    help = _("从 chinesecalendar 库同步法定节假日和调休上班日（可重复执行；不覆盖管理员维护的日期和年份）。")

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        result = sync_holidays(using=options["database"])
        self.stdout.write(_(
            "新增 %(created)d 天，更新 %(updated)d 天，删除 %(deleted)d 天；新增年份 %(years)d 个，"
            "%(kept)d 个年份由管理员维护未改动。"
        ) % {"created": result.created, "updated": result.updated, "deleted": result.deleted,
             "years": result.years_added, "kept": result.years_kept})
