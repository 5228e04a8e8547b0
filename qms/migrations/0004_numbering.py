"""Document numbering: editable formats per document type and a gapless counter per (type, year)."""
import django.db.models.deletion
import qms.numbering
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("qms", "0003_workdays")]
    operations = [
        migrations.CreateModel(
            name='DocumentType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(help_text='程序中使用的代码，例如 capa；创建后不可修改。', max_length=40, unique=True, verbose_name='类型代码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('prefix', models.CharField(max_length=20, verbose_name='前缀')),
                ('pattern', models.CharField(default='{prefix}-{year}-{seq:04d}', help_text='可用占位符：{prefix} 前缀，{year} 四位年份，{yy} 两位年份，{seq} 流水号（{seq:04d} 表示补足 4 位）。例如 {prefix}-{year}-{seq:04d} 得到 TS-2026-0001。', max_length=100, validators=[qms.numbering.validate_pattern], verbose_name='编号格式')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='修改时间')),
            ],
            options={
                'verbose_name': '编号规则',
                'verbose_name_plural': '编号规则',
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='NumberCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年份')),
                ('last', models.PositiveIntegerField(default=0, verbose_name='已用流水号')),
                ('document_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='counters', to='qms.documenttype', verbose_name='编号规则')),
            ],
            options={
                'verbose_name': '编号计数器',
                'verbose_name_plural': '编号计数器',
                'ordering': ['document_type__key', '-year'],
                'constraints': [models.UniqueConstraint(fields=('document_type', 'year'), name='number_counter_type_year')],
            },
        ),
    ]
