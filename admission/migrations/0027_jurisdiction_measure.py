"""The measure a jurisdiction's documents cite by name (根据《…》第四条第一项规定): every document cited Arun Banner's
measure, whatever banner issued it. Arun keeps it; another banner cites its own once its administrator enters it (or
its on-boarding file names it), inherited from its league or city where one measure covers them all, and until then a
provisional name made from its own that the admin points out."""

from django.db import migrations, models

# The measure every document cited before a jurisdiction named its own: Arun Banner's (阿党办发〔2024〕15号), for the
# banner it was written for. Other banners cite a provisional name until their administrator enters theirs.
ARUN = "150721"


def arun_keeps_its_measure(apps, schema_editor):
    Jurisdiction = apps.get_model("admission", "Jurisdiction")
    Jurisdiction.objects.filter(division_code=ARUN, measure="").update(measure="阿荣旗乡镇职责准入管理办法（试行）")


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0026_drop_unused_task_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="jurisdiction",
            name="measure",
            field=models.CharField(
                blank=True,
                help_text="本级乡镇职责准入管理办法的名称，不加书名号，如“阿荣旗乡镇职责准入管理办法（试行）”，公文据此引用；留空则继承上级（盟市、自治区）的设置。",
                max_length=100,
                verbose_name="准入办法",
            ),
        ),
        migrations.RunPython(arun_keeps_its_measure, migrations.RunPython.noop),
    ]
