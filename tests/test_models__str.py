"""Every record names itself: the admin, logs and the shell show what a row is, not "Consultation object (3)"."""

from django.apps import apps

from tests import support


def test_every_record_of_an_admitted_case_names_itself(banner):
    support.admitted(banner)
    seen = set()
    for model in apps.get_app_config("admission").get_models():
        for row in model.objects.all()[:20]:
            text = str(row)
            assert text.strip() and "object (" not in text, (model.__name__, text)
            seen.add(model.__name__)
    # the records an admission leaves behind, each named by its own __str__
    assert {
        "AuditEvent",
        "Consultation",
        "BureauReviewOpinion",
        "ReviewConclusion",
        "ApprovalDecision",
        "DutyVersion",
        "DocumentCounter",
        "OfficialDocument",
        "TaskDeadline",
        "TownshipDuty",
    } <= seen
