"""The working-day calendar's tables; qms.workdays fills them from chinesecalendar after every migrate."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("qms", "0002_roles")]
    operations = [
        migrations.CreateModel(
            name='UnknownCalendarYear',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='年份')),
                ('first_needed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='首次用到时间')),
            ],
            options={
                'verbose_name': '未维护年份',
                'verbose_name_plural': '未维护年份',
                'ordering': ['-year'],
            },
        ),
        migrations.CreateModel(
            name='CalendarYear',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='年份')),
                ('source', models.CharField(choices=[('library', 'chinesecalendar 库'), ('admin', '管理员维护')], default='admin', max_length=20, verbose_name='来源')),
                ('confirmed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='确认时间')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='确认人')),
            ],
            options={
                'verbose_name': '已维护年份',
                'verbose_name_plural': '已维护年份',
                'ordering': ['-year'],
            },
        ),
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(unique=True, verbose_name='日期')),
                ('kind', models.CharField(choices=[('holiday', '法定节假日'), ('workday', '调休上班')], max_length=20, verbose_name='类型')),
                ('name', models.CharField(help_text='例如：国庆节', max_length=50, verbose_name='节日名称')),
                ('source', models.CharField(choices=[('library', 'chinesecalendar 库'), ('admin', '管理员维护')], default='admin', max_length=20, verbose_name='来源')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='维护时间')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='维护人')),
            ],
            options={
                'verbose_name': '节假日与调休',
                'verbose_name_plural': '节假日与调休',
                'ordering': ['-date'],
                'indexes': [models.Index(fields=['kind', 'date'], name='calendarday_kind_date')],
            },
        ),
    ]
