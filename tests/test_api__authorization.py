"""Authorization matrix of the open API: every endpoint × every kind of organization (a client of each body of the
banner, of the city's government above it, of another banner), plus a caller without a token.

The same world as the pages' matrix (tests/test_views__authorization.py) and the same rules (admission.permissions):
a client sees what the people of its organization see on the pages — 200 with exactly the pages' rows; 404 when it
cannot know the object exists; 403 when it may know it exists but it is not its to read or do (another township's
list, a task of another body); 401 without a token. Every client here may also write (cases:write), so a 403 on the
write is the procedure's, not the scope's. Public endpoints answer everyone alike."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from admission import selectors
from admission.models import AuditEvent, DutyRequest, RequestState, Role, TownshipDuty
from admission.permissions import membership_of, visible_requests
from admission.services.setup import add_member
from tests.test_api__organizations import token
from tests.test_views__authorization import NAMES, SEES_REVIEW, _media_root, world  # noqa: F401 (fixtures)

THIS = ("forestry", "emergency", "agriculture", "naji", "liuhe", "yadong", "office", "justice", "data", "leadership")
OTHER = ("other_forestry", "other_naji", "other_office", "other_leadership")
# Issue 15: the organization offices above the banners — 呼伦贝尔市's and the region's over this banner, 通辽市's not.
ABOVE = ("city_office", "region_office", "other_city_office")
BODIES = (*THIS, "city", *OTHER, *ABOVE)
CALLERS = ("no_token", *BODIES)

SEES_REVIEW_BODY = tuple(key for key in SEES_REVIEW if key in BODIES)
# Who sees 那吉镇's list (the duty list page's rule): itself, every department (the duties it handed down), the joint
# meeting and the leadership, and the organization offices above the banner, read-only; its neighbours and the city's
# government know the township but not its list.
READS_NAJI_LIST = (
    "naji",
    "forestry",
    "emergency",
    "agriculture",
    "leadership",
    "office",
    "justice",
    "data",
    "city_office",
    "region_office",
)
OFD_BYTES = b"PK\x03\x04 the consultation letter as OFD (stands in for the render worker)"


def organization(world, key: str):  # noqa: F811 (the world fixture's value)
    if key == "city":
        return world.banner.org("city")
    if key in ABOVE:
        membership = membership_of(world.users[key])
        assert membership is not None
        return membership.organization
    if key.startswith("other_"):
        return world.other.org(key.removeprefix("other_"))
    return world.banner.org(key)


@pytest.fixture(scope="module")
def bearers(world, django_db_blocker):  # noqa: F811 (the imported fixture)
    """One writing client a body, made in the module's world (rolled back with it)."""
    with django_db_blocker.unblock():
        document = world.document
        document.ofd_file.save(f"{document.number}.ofd", ContentFile(OFD_BYTES), save=False)
        document.ofd_sha256, document.ofd_size = hashlib.sha256(OFD_BYTES).hexdigest(), len(OFD_BYTES)
        document.save()
        # The city's government has nobody in the pages' world: a clerk of it, for its pages' rule.
        world.users.setdefault(
            "city",
            add_member(
                organization=world.banner.org("city"),
                username="city_clerk",
                password="Zz-city-clerk-2026",
                role=Role.CLERK,
            ),
        )
        scopes = "cases:read documents:read duties:read cases:write"
        return {key: token(Client(), organization(world, key), scopes, may_write=True) for key in BODIES}


def row(default: int, **cells_: int) -> dict[str, int]:
    expected = dict.fromkeys(BODIES, default)
    expected["no_token"] = 401
    for key, status in cells_.items():
        assert key in expected, key
        expected[key] = status
    return expected


def only(status: int, keys, default: int, **more: int) -> dict[str, int]:
    return row(default, **(dict.fromkeys(keys, status) | more))


def public(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(CALLERS, status)


MATRIX: dict[str, dict[str, int]] = {
    "cases": row(200),
    "case": only(200, SEES_REVIEW_BODY, 404),
    # Art. 3, 4(2): the data bureau gives its review; the other parties are told it is not theirs.
    "data_review": only(403, SEES_REVIEW_BODY, 404, data=201),
    "documents": row(200),
    # The documents page lists what the body issued (林草局's letter) or received (那吉镇).
    "document": only(200, ("forestry", "naji"), 404),
    # The download page's rule: whoever may view the case.
    "document_pdf": only(200, SEES_REVIEW_BODY, 404),
    "document_ofd": only(200, SEES_REVIEW_BODY, 404),
    "duty_list": only(200, READS_NAJI_LIST, 404, liuhe=403, yadong=403, city=403),
    "duty_list_exited": only(200, READS_NAJI_LIST, 404, liuhe=403, yadong=403, city=403),
    "jurisdictions": public(),
    "townships": public(),
    "township_duties": public(),
    "verification_code": public(),
}


def _call(client: Client, world, name: str, bearer: str | None):  # noqa: F811
    headers: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}
    if bearer:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    review = world.cases["review"]
    naji = world.banner.org("naji").pk
    urls = {
        "cases": reverse("api:cases"),
        "case": reverse("api:case", args=[review.pk]),
        "documents": reverse("api:documents"),
        "document": reverse("api:document", args=[world.document.pk]),
        "document_pdf": reverse("api:document_pdf", args=[world.document.pk]),
        "document_ofd": reverse("api:document_ofd", args=[world.document.pk]),
        "duty_list": reverse("api:duty_list", args=[naji]),
        "duty_list_exited": reverse("api:duty_list", args=[naji]) + "?state=exited",
        "jurisdictions": reverse("api:jurisdictions"),
        "townships": reverse("api:townships", args=[world.banner.jurisdiction.pk]),
        "township_duties": reverse("api:township_duties", args=[naji]),
        "verification_code": reverse("api:verification_code", args=[world.document.verification_code]),
    }
    if name == "data_review":
        body = json.dumps({"passes": True, "reasoning": "与旗级权责清单衔接一致。"})
        url = reverse("api:data_review", args=[review.pk])
        return client.post(url, body, content_type="application/json", **headers)
    return client.get(urls[name], **headers)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _cells():
    for name, expected in MATRIX.items():
        for caller, status in expected.items():
            yield pytest.param(name, caller, status, id=f"{name}-{caller}-{status}")


@pytest.mark.parametrize(("name", "caller", "expected"), list(_cells()))
def test_every_endpoint_answers_every_organization_as_the_rules_say(db, world, bearers, name, caller, expected):  # noqa: F811
    review = world.cases["review"]
    events = AuditEvent.objects.changes().count()
    cases, duties = DutyRequest.objects.count(), TownshipDuty.objects.count()
    person = world.users.get(caller)  # a member of the body, for the pages' rule

    response = _call(Client(), world, name, bearers.get(caller))

    assert response.status_code == expected
    body = _body(response)
    if expected in (401, 403, 404):
        for secret in (NAMES["review"], NAMES["draft"], NAMES["advised"], NAMES["admitted"]):
            assert secret not in body.decode(errors="replace"), secret
    if expected == 200 and name == "cases":
        seen = {c["id"] for c in json.loads(body)["results"]}
        assert seen == set(visible_requests(person).values_list("pk", flat=True))
    if expected == 200 and name == "documents":
        listed = [d["id"] for d in json.loads(body)["results"]]
        assert listed == list(selectors.documents_for(user=person).values_list("pk", flat=True))[:100]
    if expected == 200 and name in ("duty_list", "duty_list_exited"):
        state = "exited" if name.endswith("exited") else "active"
        listed = [d["id"] for d in json.loads(body)["results"]]
        page = selectors.township_duties(  # as the duty list page asks it (the offices above name the banner)
            user=person, township_id=world.banner.org("naji").pk, state=state, banner_id=world.banner.jurisdiction.pk
        )
        assert listed == list(page.values_list("pk", flat=True))
    if expected == 200 and name == "document_pdf":
        assert body == world.document.file.open("rb").read()
    if expected == 200 and name == "document_ofd":
        assert body == OFD_BYTES
    if expected == 200 and name == "case":
        assert json.loads(body)["duty_name"] == NAMES["review"]

    # Side effects: only the data bureau's review changes anything.
    review.refresh_from_db()
    if expected == 201:
        assert review.bureau_opinions.get(organization=world.banner.org("data")).passes is True
        assert AuditEvent.objects.changes().count() > events
    else:
        assert not review.bureau_opinions.filter(organization=world.banner.org("data")).exists()
        assert AuditEvent.objects.changes().count() == events
    assert review.state == RequestState.UNDER_REVIEW
    assert (DutyRequest.objects.count(), TownshipDuty.objects.count()) == (cases, duties)
