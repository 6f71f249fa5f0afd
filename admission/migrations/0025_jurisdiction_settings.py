"""Issue 15: per-jurisdiction document settings inherited down the hierarchy. A body's number code no longer carries
its jurisdiction's abbreviation (阿编 → 编): numbers take the abbreviation at issue, the banner's own or the one it
inherits (admission/inheritance.py). A township's code stays whole (那吉政)."""

import django.db.models.deletion
from django.db import migrations, models

KINDS = [
    ("consultation_letter", "征求意见函"),
    ("supplement_notice", "补正材料一次性告知书"),
    ("non_admission_notice", "不予准入告知书"),
    ("review_opinion", "审核意见的请示"),
    ("admission_decision", "准入决定"),
    ("refusal_notice", "不予批准通知"),
    ("exit_notice", "退出通知"),
    ("adjustment_notice", "调整通知"),
    ("approval_form", "审批单"),
    ("city_approval", "准入批复"),
]
ORGANIZATION_KINDS = [
    ("department", "旗直职能部门"),
    ("township", "乡镇"),
    ("organization_office", "旗委编办"),
    ("justice_bureau", "旗司法局"),
    ("data_bureau", "旗政数局"),
    ("banner_leadership", "旗委、旗政府"),
    ("city_government", "市政府"),
]
ROLES = [("clerk", "经办人"), ("reviewer", "审核人"), ("head", "负责人")]


def split_codes(apps, schema_editor):
    Organization = apps.get_model("admission", "Organization")
    for body in Organization.objects.exclude(kind="township").select_related("jurisdiction"):
        abbreviation = body.jurisdiction.abbreviation
        if abbreviation and body.document_code.startswith(abbreviation):
            body.document_code = body.document_code.removeprefix(abbreviation)
            body.save(update_fields=["document_code"])


def join_codes(apps, schema_editor):
    Organization = apps.get_model("admission", "Organization")
    for body in Organization.objects.exclude(kind="township").exclude(document_code="").select_related("jurisdiction"):
        level = body.jurisdiction
        while level is not None and not level.abbreviation:
            level = level.parent
        body.document_code = (level.abbreviation if level else "") + body.document_code
        body.save(update_fields=["document_code"])


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0024_webhooks"),
    ]

    operations = [
        migrations.RenameField(model_name="organization", old_name="document_prefix", new_name="document_code"),
        migrations.AlterField(
            model_name="organization",
            name="document_code",
            field=models.CharField(
                blank=True,
                help_text="发文字号中简称之后的机关代字，如“阿编准〔2026〕3号”中的“编”；乡镇为其全部代字，不加旗县简称。",
                max_length=12,
                verbose_name="机关代字",
            ),
        ),
        migrations.RunPython(split_codes, join_codes),
        migrations.AlterField(
            model_name="jurisdiction",
            name="abbreviation",
            field=models.CharField(
                blank=True,
                help_text="公文字号开头的简称；留空则继承上级（盟市、自治区）的简称。",
                max_length=4,
                verbose_name="简称",
            ),
        ),
        migrations.CreateModel(
            name="DocumentSetting",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=KINDS, max_length=32, verbose_name="文种")),
                (
                    "issuer_kind",
                    models.CharField(
                        blank=True,
                        choices=ORGANIZATION_KINDS,
                        help_text="留空则继承上级设置。",
                        max_length=32,
                        verbose_name="发文机关",
                    ),
                ),
                (
                    "signatory_role",
                    models.CharField(
                        blank=True,
                        choices=ROLES,
                        help_text="发文机关中签发该文种的人员（上行文在版头标注签发人）；留空则继承上级设置。",
                        max_length=16,
                        verbose_name="签发人",
                    ),
                ),
                (
                    "jurisdiction",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="document_settings",
                        to="admission.jurisdiction",
                        verbose_name="旗县（区）",
                    ),
                ),
            ],
            options={
                "verbose_name": "公文设置",
                "verbose_name_plural": "公文设置",
                "ordering": ["jurisdiction", "kind"],
                "constraints": [models.UniqueConstraint(fields=("jurisdiction", "kind"), name="document_setting_once")],
            },
        ),
    ]
