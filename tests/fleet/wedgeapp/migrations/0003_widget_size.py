from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("wedgeapp", "0002_seed")]
    operations = [migrations.AddField("widget", "size", models.IntegerField(default=1))]
