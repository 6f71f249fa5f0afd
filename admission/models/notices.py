"""How people hear of their work (issue 13 part 3): each person's choice of what is e-mailed, and the group robots of
government messaging (钉钉 / 企业微信 群机器人) a unit's notices are also posted to."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organizations import Organization


class NoticePreference(models.Model):
    """What one person wants e-mailed (every notice is in the app anyway). No row: everything is e-mailed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    email_kinds = models.JSONField(default=list)

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = _("提醒设置")

    def __str__(self) -> str:
        return str(self.user)


class RobotPlatform(models.TextChoices):
    DINGTALK = "dingtalk", _("钉钉群机器人")
    WECOM = "wecom", _("企业微信群机器人")


class GroupRobot(models.Model):
    """A unit's group robot: what arrives for the unit is posted to its group too, signed as the platform specifies."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="group_robots", verbose_name=_("单位")
    )
    platform = models.CharField(_("平台"), max_length=16, choices=RobotPlatform.choices)
    webhook_url = models.URLField(_("Webhook 地址"), max_length=400)
    secret = models.CharField(
        _("加签密钥"), max_length=200, blank=True, help_text=_("钉钉“加签”安全设置的密钥（SEC 开头）。")
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_platform_display()}"


class RobotDelivery(models.Model):
    """One message for one robot, posted at most once (`key`), retried by the task engine until `sent_at`."""

    robot = models.ForeignKey(
        GroupRobot, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("群机器人")
    )
    key = models.CharField(max_length=160, unique=True)
    text = models.CharField(_("内容"), max_length=600)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("失败原因"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("群机器人消息")
        verbose_name_plural = _("群机器人消息")

    def __str__(self) -> str:
        return self.text[:40]
