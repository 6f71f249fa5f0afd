"""Jurisdictions, the organizations in them, and the people who act for those organizations."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def mongolian_names(value: str) -> list[str]:
    """The lines of a Mongolian name field, runs of ordinary spaces made one; blank lines dropped. The narrow
    no-break space (U+202F) before a case suffix is part of the spelling and stays as it is."""
    return [re.sub(r"[ \t]+", " ", line).strip(" \t") for line in value.splitlines() if line.strip(" \t")]


def measure_name(value: str) -> str:
    """A measure's name as documents cite it inside their own 《》: typed with its marks or without, spaces trimmed."""
    return value.strip().removeprefix("《").removesuffix("》").strip()


def validate_mongolian(value: str) -> None:
    """Traditional Mongolian letters (U+1800–U+18AF), the narrow no-break space of its suffixes, joiners, spaces."""
    others = sorted({c for c in value if not (c.isspace() or "\u1800" <= c <= "\u18af" or c in "\u202f\u200c\u200d")})
    if others:
        raise ValidationError(
            _("蒙古文名称只能使用传统蒙古文字母（Unicode U+1800–U+18AF），请删除：%(chars)s"),
            params={"chars": "".join(others)},
        )


class JurisdictionLevel(models.TextChoices):
    REGION = "region", _("自治区")
    CITY = "city", _("盟市")
    BANNER = "banner", _("旗县（市、区）")


class Jurisdiction(models.Model):
    """A banner or county: every other row belongs to exactly one. Above the banners, the region and its leagues and
    cities are jurisdictions too (issue 15), each with its own bodies: region → city → banner (`parent`)."""

    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(
        _("层级"), max_length=8, choices=JurisdictionLevel.choices, default=JurisdictionLevel.BANNER
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级")
    )
    # On a city: its government approves the regular track inside the platform (its own task, time limit and
    # document); otherwise the banner's organization office records the city's reply from outside (Art. 4(3)).
    approves_in_system = models.BooleanField(_("市（盟）政府在平台内审批"), default=False)
    division_code = models.CharField(_("行政区划代码"), max_length=12, unique=True)
    city_name = models.CharField(_("所属市（盟）"), max_length=60)
    # The one-character abbreviation that opens its bodies' document numbers (阿 in 阿编准〔2026〕3号). Blank: the
    # city's, else the region's (admission/inheritance.py:document_abbreviation).
    abbreviation = models.CharField(
        _("简称"), max_length=4, blank=True, help_text=_("公文字号开头的简称；留空则继承上级（盟市、自治区）的简称。")
    )
    # 内政办发〔1996〕32号 art. 2: names are shown in Mongolian and Chinese (docs/documents.md).
    mongolian_name = models.CharField(
        _("蒙古文名称"),
        max_length=120,
        blank=True,
        validators=[validate_mongolian],
        help_text=_("传统蒙古文（Unicode U+1800–U+18AF），由旗蒙古语言文字工作部门审定。"),
    )
    # The measure its documents cite by name (根据《…》第四条第一项规定): a banner's own, or one its league or city
    # issued for all its banners; blank is inherited from the level above (admission/inheritance.py:measure).
    measure = models.CharField(
        _("准入办法"),
        max_length=100,
        blank=True,
        help_text=_(
            "本级乡镇职责准入管理办法的名称，不加书名号，如“阿荣旗乡镇职责准入管理办法（试行）”，公文据此引用；"
            "留空则继承上级（盟市、自治区）的设置。"
        ),
    )
    # The public duty lists (issue 15) name each duty's safeguard funding only where the banner chooses to publish it.
    publishes_funding = models.BooleanField(_("公开清单中公布工作经费数额"), default=False)

    class Meta:
        verbose_name = _("旗县（区）")
        verbose_name_plural = _("旗县（区）")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.measure = measure_name(self.measure)


class OrganizationKind(models.TextChoices):
    DEPARTMENT = "department", _("旗直职能部门")
    TOWNSHIP = "township", _("乡镇")
    ORGANIZATION_OFFICE = "organization_office", _("旗委编办")
    JUSTICE_BUREAU = "justice_bureau", _("旗司法局")
    DATA_BUREAU = "data_bureau", _("旗政数局")
    BANNER_LEADERSHIP = "banner_leadership", _("旗委、旗政府")
    CITY_GOVERNMENT = "city_government", _("市政府")


# Bodies of which a jurisdiction has exactly one.
SINGLE_BODY_KINDS = frozenset(
    {
        OrganizationKind.ORGANIZATION_OFFICE,
        OrganizationKind.JUSTICE_BUREAU,
        OrganizationKind.DATA_BUREAU,
        OrganizationKind.BANNER_LEADERSHIP,
        OrganizationKind.CITY_GOVERNMENT,
    }
)
JOINT_MEETING_KINDS = (
    OrganizationKind.ORGANIZATION_OFFICE,
    OrganizationKind.JUSTICE_BUREAU,
    OrganizationKind.DATA_BUREAU,
)


class Organization(models.Model):
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("旗县（区）")
    )
    kind = models.CharField(_("类别"), max_length=32, choices=OrganizationKind.choices)
    name = models.CharField(_("名称"), max_length=80)
    division_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    # For official documents: the full name on the header mark and the seal, and the body's own code in document
    # numbers after its jurisdiction's abbreviation (编 in 阿编准〔2026〕3号; a township's numbers carry no
    # abbreviation: 那吉政). The full 发文机关代字 is admission/inheritance.py:document_prefix.
    official_name = models.CharField(_("全称"), max_length=120, blank=True)
    document_code = models.CharField(
        _("机关代字"),
        max_length=12,
        blank=True,
        help_text=_("发文字号中简称之后的机关代字，如“阿编准〔2026〕3号”中的“编”；乡镇为其全部代字，不加旗县简称。"),
    )
    # The full name in traditional Mongolian, for the header mark and the seal (内政办发〔1996〕32号 art. 2–3). Mongolian
    # separates words with spaces, so a joint body gives each of its bodies' names on a line of its own.
    mongolian_name = models.TextField(
        _("蒙古文全称"),
        max_length=400,
        blank=True,
        validators=[validate_mongolian],
        help_text=_(
            "传统蒙古文（Unicode U+1800–U+18AF），由旗蒙古语言文字工作部门审定；联合发文机关每个机关一行，顺序与全称相同。"
        ),
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["jurisdiction", "kind", "division_code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="organization_unique_name"),
            models.UniqueConstraint(
                fields=["jurisdiction", "kind"],
                condition=models.Q(kind__in=sorted(k.value for k in SINGLE_BODY_KINDS)),  # sorted: stable migrations
                name="organization_single_body_per_jurisdiction",
            ),
        ]
        indexes = [models.Index(fields=["jurisdiction", "kind"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        names = mongolian_names(self.mongolian_name)
        official = (self.official_name or self.name).split()
        if names and len(names) != len(official):
            raise ValidationError(
                {
                    "mongolian_name": _("全称列出 %(count)d 个机关，蒙古文全称也应每个机关一行，共 %(count)d 行。")
                    % {"count": len(official)}
                }
            )

    @property
    def is_township(self) -> bool:
        return self.kind == OrganizationKind.TOWNSHIP

    @property
    def is_joint_meeting_member(self) -> bool:
        return self.kind in JOINT_MEETING_KINDS


class Role(models.TextChoices):
    CLERK = "clerk", _("经办人")
    REVIEWER = "reviewer", _("审核人")
    HEAD = "head", _("负责人")


DECIDING_ROLES = frozenset({Role.REVIEWER, Role.HEAD})


class AdministratorRole(models.TextChoices):
    """三员分立: the three administrators of a level-3 system, each a group with exactly its permissions."""

    SYSTEM = "system", _("系统管理员")
    SECURITY = "security", _("安全管理员")
    AUDIT = "audit", _("审计管理员")


class Membership(models.Model):
    """A user acts for exactly one organization, in one role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("用户")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("单位")
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.CLERK)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_role_display()} · {self.user.get_username()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.user_id and (self.user.is_staff or self.user.is_superuser):
            raise ValidationError(
                _("管理员账号不能加入单位办理业务（三员分立）：请为其另设普通账号，或先取消其管理员身份。")
            )

    @property
    def can_decide(self) -> bool:
        return self.role in DECIDING_ROLES
