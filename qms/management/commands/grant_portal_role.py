from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from qms.dbroles import grant_portal_role


class Command(BaseCommand):
    help = _("由数据库所有者执行（每次 migrate 之后）：授予门户角色恰好所需的权限——各表 SELECT/INSERT/UPDATE/DELETE"
             "（审计表只能 SELECT/INSERT）、各序列 USAGE，以及今后迁移新建的表和序列的默认权限。")

    def add_arguments(self, parser):
        parser.add_argument("role", help=_("门户和后台任务连接数据库所用的角色"))
        parser.add_argument("--schema", default="public")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, role, schema, database, **options):
        try:
            granted = grant_portal_role(role, schema=schema, using=database)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(_(
            "已授权角色 %(role)s：%(tables)d 张表（其中 %(append_only)d 张审计表只能读取和追加），%(sequences)d 个序列，"
            "以及今后新建的表和序列。"
        ) % {"role": role, "tables": granted.tables, "append_only": granted.append_only,
             "sequences": granted.sequences})
