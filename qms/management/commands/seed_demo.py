from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from qms.demo import DEMO_PASSWORD, create_demo_company, create_demo_people
from qms.registry import registry


class Command(BaseCommand):
    help = _("创建演示数据：每个岗位一个演示用户，以及各模块的示例记录（可重复运行）。")

    def handle(self, *args, **options):
        create_demo_company()
        users = create_demo_people()
        for seeder in registry.demo_seeders:
            seeder(users, self.stdout)
        self.stdout.write(self.style.SUCCESS(
            _("演示数据已就绪：%(n)d 个用户，密码均为 %(pw)s") % {"n": len(users), "pw": DEMO_PASSWORD}
        ))
