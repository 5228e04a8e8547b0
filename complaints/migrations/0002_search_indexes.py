# Trigram indexes for the complaint list's search box and its customer/product filters.

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0001_initial'),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name='complaint',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('number'), name='gin_trgm_ops'), name='complaint_number_trgm'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('customer_name'), name='gin_trgm_ops'), name='complaint_customer_trgm'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('product'), name='gin_trgm_ops'), name='complaint_product_trgm'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('description'), name='gin_trgm_ops'), name='complaint_text_trgm'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(django.db.models.functions.text.Upper('batch'), name='complaint_batch'),
        ),
    ]
