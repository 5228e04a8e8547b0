# One-time form tokens (qms.submissions): a create form sent twice saves once.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('qms', '0015_importbatch_queued_worked'),
    ]

    operations = [
        migrations.CreateModel(
            name='SubmissionToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=32, unique=True, verbose_name='表单令牌')),
                ('path', models.CharField(max_length=300, verbose_name='提交地址')),
                ('result_url', models.CharField(blank=True, max_length=500, verbose_name='结果地址')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='提交时间')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='用户')),
            ],
            options={
                'verbose_name': '表单提交记录',
                'verbose_name_plural': '表单提交记录',
                'indexes': [models.Index(fields=['created_at'], name='submission_token_created')],
            },
        ),
    ]
