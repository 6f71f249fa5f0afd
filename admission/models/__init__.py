from .audit import AuditAction, AuditChainHead, AuditEvent, AuditOutcome
from .calendar import (
    CalendarDay,
    CalendarYear,
    DayUnit,
    NoticeKind,
    Notification,
    Step,
    TaskDeadline,
    TimeLimit,
)
from .documents import DocumentCounter, DocumentKind, DocumentStatus, OfficialDocument, RenderStatus
from .duties import DUTY_TERMS, DutyStatus, DutyVersion, SafeguardDelivery, SafeguardKind, TownshipDuty
from .identity import LoginLockout, PasswordHistory, SecondFactorDevice
from .organizations import (
    DECIDING_ROLES,
    JOINT_MEETING_KINDS,
    AdministratorRole,
    Jurisdiction,
    Membership,
    Organization,
    OrganizationKind,
    Role,
)
from .reports import PushDownMethod, ReportFinding, UnadmittedDutyReport
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
    DutyCategory,
    DutyRequest,
    RequestPurpose,
    RequestState,
    ReviewConclusion,
    SupplementNotice,
    Track,
)

__all__ = [
    "CalendarDay", "CalendarYear", "DayUnit", "Notification", "NoticeKind", "Step", "TaskDeadline", "TimeLimit",
    "DutyCategory", "PushDownMethod", "ReportFinding", "SafeguardDelivery", "SafeguardKind", "UnadmittedDutyReport",
    "AdministratorRole", "AdvisoryOpinion", "AffairClass", "ApprovalDecision", "ApprovalStage", "Attachment", "AttachmentKind",
    "AuditAction", "AuditChainHead", "AuditEvent", "AuditOutcome", "BureauReviewOpinion", "DocumentCounter", "DocumentKind", "DocumentStatus",
    "OfficialDocument", "RenderStatus", "Consultation", "ConsultationOutcome", "DECIDING_ROLES",
    "DUTY_TERMS", "DutyRequest", "DutyStatus", "DutyVersion", "RequestPurpose", "JOINT_MEETING_KINDS", "Jurisdiction", "Membership", "Organization",
    "LoginLockout", "OrganizationKind", "PasswordHistory", "RequestState", "SecondFactorDevice", "ReviewConclusion", "Role", "SupplementNotice", "TownshipDuty", "Track",
]
