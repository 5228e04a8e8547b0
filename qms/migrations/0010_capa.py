from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("qms", "0009_deadlines")]
    operations = []
