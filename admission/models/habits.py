"""The habits of Chinese approval offices fitted to the measure (issue 13): internal comments on a case, copies sent
for information (抄送), and the record of a case sent back to an earlier step (退回)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organizations import Organization
from .requests import DutyRequest


class CaseComment(models.Model):
    """An internal note by a party of the case: shown to the parties only, never printed in a document."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("内部意见"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("内部意见")
        verbose_name_plural = _("内部意见")

    def __str__(self) -> str:
        return self.text[:30]


class CaseCopy(models.Model):
    """A case sent to a body for information (抄送): that body may read the case, never act on it."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="copies")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="copied_requests", verbose_name=_("抄送单位")
    )
    note = models.CharField(_("抄送说明"), max_length=300, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("抄送")
        verbose_name_plural = _("抄送")
        constraints = [models.UniqueConstraint(fields=["request", "organization"], name="case_copy_once")]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.organization}"


class CaseReturn(models.Model):
    """A case sent back from a review step to the step before it (退回), with the reasons and the opinions it set
    aside (kept here as they were given)."""

    request = models.ForeignKey(DutyRequest, on_delete=models.CASCADE, related_name="returns")
    from_node = models.CharField(max_length=50)
    to_nodes = models.JSONField(default=list)
    reasons = models.TextField(_("退回理由"))
    set_aside = models.JSONField(default=list)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["returned_at", "pk"]
        verbose_name = _("退回")
        verbose_name_plural = _("退回")

    def __str__(self) -> str:
        return f"{self.from_node} → {', '.join(self.to_nodes)}"
