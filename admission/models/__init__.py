from .audit import AuditAction, AuditEvent
from .calendar import (
    CalendarDay, CalendarYear, DayUnit, Notification, NoticeKind, Step, TaskDeadline, TimeLimit,
)
from .documents import DocumentCounter, DocumentKind, DocumentStatus, OfficialDocument, RenderStatus
from .duties import DutyStatus, TownshipDuty
from .organizations import (
    DECIDING_ROLES,
    JOINT_MEETING_KINDS,
    Jurisdiction,
    Membership,
    Organization,
    OrganizationKind,
    Role,
)
from .requests import (
    AdvisoryOpinion,
    AffairClass,
    ApprovalDecision,
    ApprovalStage,
    Attachment,
    AttachmentKind,
    BureauReviewOpinion,
    Consultation,
    ConsultationOutcome,
    DutyRequest,
    RequestState,
    ReviewConclusion,
    SupplementNotice,
    Track,
)

__all__ = [
    "CalendarDay", "CalendarYear", "DayUnit", "Notification", "NoticeKind", "Step", "TaskDeadline", "TimeLimit",
    "AdvisoryOpinion", "AffairClass", "ApprovalDecision", "ApprovalStage", "Attachment", "AttachmentKind",
    "AuditAction", "AuditEvent", "BureauReviewOpinion", "DocumentCounter", "DocumentKind", "DocumentStatus",
    "OfficialDocument", "RenderStatus", "Consultation", "ConsultationOutcome", "DECIDING_ROLES",
    "DutyRequest", "DutyStatus", "JOINT_MEETING_KINDS", "Jurisdiction", "Membership", "Organization",
    "OrganizationKind", "RequestState", "ReviewConclusion", "Role", "SupplementNotice", "TownshipDuty", "Track",
]
