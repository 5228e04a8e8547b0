import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("qms", "0004_numbering")]
    operations = [
        migrations.CreateModel(
            name='ImportBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('definition_key', models.CharField(max_length=50, verbose_name='导入类型')),
                ('file', models.FileField(max_length=255, upload_to='imports/%Y/%m/', verbose_name='文件')),
                ('file_name', models.CharField(max_length=255, verbose_name='文件名')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='上传时间')),
                ('status', models.CharField(choices=[('validating', '校验中'), ('preview', '预览'), ('importing', '导入中'), ('imported', '已导入'), ('reverted', '已撤销'), ('failed', '失败')], default='validating', max_length=20, verbose_name='状态')),
                ('total_rows', models.PositiveIntegerField(default=0, verbose_name='数据行数')),
                ('valid_rows', models.PositiveIntegerField(default=0, verbose_name='无误行数')),
                ('error_rows', models.PositiveIntegerField(default=0, verbose_name='错误行数')),
                ('created_count', models.PositiveIntegerField(default=0, verbose_name='已创建记录数')),
                ('progress_done', models.PositiveIntegerField(default=0, verbose_name='已处理行数')),
                ('errors', models.JSONField(blank=True, default=list, verbose_name='错误报告')),
                ('created_objects', models.JSONField(blank=True, default=list, verbose_name='创建的记录')),
                ('good_rows_only', models.BooleanField(default=False, verbose_name='只导入无误的行')),
                ('message', models.TextField(blank=True, verbose_name='说明')),
                ('committed_at', models.DateTimeField(blank=True, null=True, verbose_name='导入时间')),
                ('reverted_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='import_batches', to=settings.AUTH_USER_MODEL, verbose_name='导入人')),
                ('reverted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='撤销人')),
            ],
            options={
                'verbose_name': '导入批次',
                'verbose_name_plural': '导入批次',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['created_by', '-created_at'], name='importbatch_user_recent'), models.Index(fields=['definition_key', 'status'], name='importbatch_key_status')],
            },
        ),
    ]
