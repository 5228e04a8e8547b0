from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from qms import deadlines, notifications


class Command(BaseCommand):
    help = _("执行一次提醒节拍：发送到期提醒、逾期通知和升级，并补发未发送的邮件（供使用 cron 的站点）。")

    def handle(self, *args, **options):
        sent = deadlines.tick()
        mailed = notifications.deliver_pending_emails()
        self.stdout.write(_("已发送 %(sent)d 条提醒，补发 %(mailed)d 封邮件。") % {"sent": sent, "mailed": mailed})
