from admission.models import RequestState, TownshipDuty
from tests import support


def test_regular_admission_end_to_end(banner):
    request = support.to_under_review(banner)
    assert request.state == RequestState.UNDER_REVIEW
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    assert request.state == RequestState.AWAITING_APPROVAL
    support.banner_decides(banner, request)
    assert request.state == RequestState.AWAITING_CITY
    support.city_decides(banner, request)
    assert request.state == RequestState.ADMITTED
    assert TownshipDuty.objects.filter(request=request).count() == 2
