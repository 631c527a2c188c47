"""All models, imported here so that metadata (and Alembic) sees every table."""

from webapp.models.audit import AuditEvent
from webapp.models.base import Base
from webapp.models.certificates import (
    Certificate,
    CertificateCounter,
    CertificateStatus,
    PdfStatus,
)
from webapp.models.evidence import (
    Decision,
    EvidenceFile,
    EvidenceSubmission,
    PeerValidation,
    SubmissionStatus,
)
from webapp.models.interop import InteropMapping
from webapp.models.jobs import JobRecord, JobStatus
from webapp.models.notifications import EmailStatus, Notification, OutboxEmail
from webapp.models.portfolio import Portfolio, PortfolioItem, PortfolioItemKind
from webapp.models.programmes import (
    OPEN_ENROLMENT_STATUSES,
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    LearnerTask,
    Level,
    PathRequirement,
    PathStatus,
    PathVersion,
    ProgressStatus,
    RequirementKind,
    RequirementProgress,
    Skill,
    TaskStatus,
    path_prerequisites,
    path_skills,
)
from webapp.models.quizzes import (
    AttemptGrant,
    Evaluation,
    EvaluationScoreVersion,
    EvaluationStatus,
    Quiz,
    QuizStatus,
    QuizVersion,
    RegradeBatch,
    RegradeStatus,
)
from webapp.models.tenancy import HolderNameDisplay, OrgUnit, Role, Tenant, User

__all__ = [
    "OPEN_ENROLMENT_STATUSES",
    "AttemptGrant",
    "AuditEvent",
    "Base",
    "Certificate",
    "CertificateCounter",
    "CertificateStatus",
    "CertificationPath",
    "Decision",
    "EmailStatus",
    "Enrolment",
    "EnrolmentStatus",
    "Evaluation",
    "EvaluationScoreVersion",
    "EvaluationStatus",
    "EvidenceFile",
    "EvidenceSubmission",
    "HolderNameDisplay",
    "InteropMapping",
    "JobRecord",
    "JobStatus",
    "LearnerTask",
    "Level",
    "Notification",
    "OrgUnit",
    "OutboxEmail",
    "PathRequirement",
    "PathStatus",
    "PathVersion",
    "PdfStatus",
    "PeerValidation",
    "Portfolio",
    "PortfolioItem",
    "PortfolioItemKind",
    "ProgressStatus",
    "Quiz",
    "QuizStatus",
    "QuizVersion",
    "RegradeBatch",
    "RegradeStatus",
    "RequirementKind",
    "RequirementProgress",
    "Role",
    "Skill",
    "SubmissionStatus",
    "TaskStatus",
    "Tenant",
    "User",
    "path_prerequisites",
    "path_skills",
]
