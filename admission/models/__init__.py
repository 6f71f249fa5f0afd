from .audit import AuditAction, AuditEvent
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
    "AdvisoryOpinion", "AffairClass", "ApprovalDecision", "ApprovalStage", "Attachment", "AttachmentKind",
    "AuditAction", "AuditEvent", "BureauReviewOpinion", "Consultation", "ConsultationOutcome", "DECIDING_ROLES",
    "DutyRequest", "DutyStatus", "JOINT_MEETING_KINDS", "Jurisdiction", "Membership", "Organization",
    "OrganizationKind", "RequestState", "ReviewConclusion", "Role", "SupplementNotice", "TownshipDuty", "Track",
]
