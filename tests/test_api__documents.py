"""Issue 15 part 5: documents and duty lists through the API, by the pages' rules — metadata as the documents page
lists them, downloads as the document page serves them (permission, file check, audit event, never cached),
verification through the /verify/ service, a township's duty list with each duty's version records."""

import hashlib
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from oauth2_provider.models import Application

from admission import selectors
from admission.models import AuditAction, AuditEvent, DocumentKind, OfficialDocument, RenderStatus, TownshipDuty
from admission.permissions import visible_duties
from tests import support
from tests.test_api__organizations import get, token


def _ofd() -> bytes:
    """An OFD package as far as verification reads one (a zip with OFD.xml); served and checked by its digest."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
    return buffer.getvalue()


OFD_BYTES = _ofd()


def rendered(document: OfficialDocument, *, ofd: bool = False) -> OfficialDocument:
    """Stands in for the render worker: the document's PDF (and OFD) stored with their digests."""
    document.file.save(f"{document.number}.pdf", ContentFile(support.PDF_BYTES), save=False)
    document.sha256, document.size = hashlib.sha256(support.PDF_BYTES).hexdigest(), len(support.PDF_BYTES)
    if ofd:
        document.ofd_file.save(f"{document.number}.ofd", ContentFile(OFD_BYTES), save=False)
        document.ofd_sha256, document.ofd_size = hashlib.sha256(OFD_BYTES).hexdigest(), len(OFD_BYTES)
    document.render_status = RenderStatus.RENDERED
    document.save()
    return document


@pytest.fixture
def letter(banner):
    """The consultation letter of a case under review to 那吉镇, rendered with its OFD."""
    case = support.to_under_review(banner)
    document = OfficialDocument.objects.get(
        request=case, kind=DocumentKind.CONSULTATION_LETTER, recipients=banner.org("naji")
    )
    return rendered(document, ofd=True)


@pytest.mark.parametrize("key", ["naji", "liuhe", "forestry", "office", "data", "leadership"])
def test_a_client_lists_the_documents_its_organizations_page_lists(client, banner, letter, key):
    bearer = token(client, banner.org(key), "documents:read")
    listed = get(client, reverse("api:documents"), bearer).json()["results"]
    page = selectors.documents_for(user=banner.users[key])
    assert [d["id"] for d in listed] == list(page.values_list("pk", flat=True))
    assert (letter.pk in {d["id"] for d in listed}) is (key in ("naji", "forestry"))


def test_a_documents_metadata_says_where_to_download_and_verify_it(client, banner, letter):
    bearer = token(client, banner.org("naji"), "documents:read")
    detail = get(client, reverse("api:document", args=[letter.pk]), bearer).json()
    assert (detail["number"], detail["title"], detail["sha256"]) == (letter.number, letter.title, letter.sha256)
    assert detail["pdf_url"].endswith(reverse("api:document_pdf", args=[letter.pk]))
    assert detail["ofd_url"].endswith(reverse("api:document_ofd", args=[letter.pk]))
    assert detail["verification_url"].endswith(reverse("verify_document", args=[letter.verification_code]))
    assert get(client, f"{reverse('api:documents')}?kind=nonsense", bearer).status_code == 400


@pytest.mark.parametrize(
    ("name", "body", "media"), [("pdf", support.PDF_BYTES, "application/pdf"), ("ofd", OFD_BYTES, "application/ofd")]
)
def test_a_download_is_the_pages_download_never_cached_and_recorded_with_the_client(
    client, banner, letter, name, body, media
):
    bearer = token(client, banner.org("liuhe"), "documents:read")
    response = get(client, reverse(f"api:document_{name}", args=[letter.pk]), bearer)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == body and response["Content-Type"] == media
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    event = AuditEvent.objects.filter(action=AuditAction.DOWNLOAD).latest("pk")
    assert event.data == {"document": letter.pk}  # the page's own event …
    assert event.note == f"{letter.number} {letter.title}{' OFD' if name == 'ofd' else ''}"
    client_id = Application.objects.get(user=event.actor).client_id
    assert event.user_agent.startswith(f"API {client_id}")  # … made during the client's call
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT, data__api=response.request["PATH_INFO"]).exists()


def test_a_document_of_a_case_out_of_sight_does_not_download(client, banner, letter):
    for key in ("yadong", "emergency"):
        bearer = token(client, banner.org(key), "documents:read")
        for name in ("pdf", "ofd"):
            response = get(client, reverse(f"api:document_{name}", args=[letter.pk]), bearer)
            assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_documents_need_their_scope(client, banner, letter):
    bearer = token(client, banner.org("naji"), "cases:read")
    for url in (reverse("api:documents"), reverse("api:document_pdf", args=[letter.pk])):
        assert get(client, url, bearer).status_code == 403


def test_verification_by_code_and_by_file_is_the_verify_pages(client, banner, letter):
    by_code = client.get(reverse("api:verification_code", args=[letter.verification_code.lower()]))
    assert by_code.status_code == 200
    assert (by_code.json()["number"], by_code.json()["sha256"]) == (letter.number, letter.sha256)
    assert client.get(reverse("api:verification_code", args=["NOSUCHCODE"])).status_code == 404

    def verify(body: bytes, media: str = "application/pdf"):
        return client.post(reverse("api:verification"), body, content_type=media)

    verdict = verify(support.PDF_BYTES).json()
    assert verdict["registered"] is True and verdict["document"]["number"] == letter.number
    assert verdict["valid"] is False and verdict["problem"]  # the stand-in PDF carries no signature
    ofd = verify(OFD_BYTES, "application/ofd").json()
    assert ofd["format"] == "ofd" and ofd["registered"] is True and ofd["valid"] is True
    unknown = verify(b"%PDF-1.7 nothing", "application/octet-stream")
    assert unknown.status_code == 200 and unknown.json()["registered"] is False
    assert verify(b"").status_code == 400 and set(verify(b"").json()) == {"file"}
    assert verify(b"{}", "application/json").status_code == 415


def test_verification_stops_reading_at_the_pages_size_limit(client, letter, settings):
    settings.ADMISSION_MAX_VERIFY_BYTES = 1024 * 1024
    response = client.post(reverse("api:verification"), b"%PDF" + b"0" * 1024 * 1024, content_type="application/pdf")
    assert response.status_code == 400
    assert response.json() == {"file": ["文件超过 1 MB，系统已停止接收；请上传本系统印发的公文 PDF。"]}


def test_verification_shares_the_pages_budget_per_address(client, banner, letter, settings):
    settings.ADMISSION_VERIFY_LOOKUP_RATE = "2/600"
    url = reverse("api:verification_code", args=[letter.verification_code])
    statuses = [client.get(url).status_code for _ in range(2)]
    page = client.get(reverse("verify_document", args=[letter.verification_code]))
    assert statuses == [200, 200] and page.status_code == 429
    assert client.get(url).status_code == 429


# --- duty lists with versions -----------------------------------------------------------------------------------


@pytest.fixture
def adjusted(banner):
    """那吉镇's duty, admitted, then adjusted (Art. 4(5)): two versions; and a second duty of one version."""
    first = TownshipDuty.objects.get(request=support.admitted(banner), township=banner.org("naji"))
    support.carry_through(banner, support.propose(banner, first, "adjustment", duty_name="森林草原防火巡查（调整）"))
    support.admitted(banner, duty_name="耕地撂荒排查")
    return TownshipDuty.objects.get(pk=first.pk)


def test_a_townships_list_carries_each_dutys_version_records(client, banner, adjusted):
    bearer = token(client, banner.org("naji"), "duties:read")
    listed = get(client, reverse("api:duty_list", args=[banner.org("naji").pk]), bearer).json()["results"]
    duties = {d["id"]: d for d in listed}
    assert set(duties) == set(visible_duties(banner.users["naji"]).values_list("pk", flat=True))
    versions = duties[adjusted.pk]["versions"]
    page = selectors.duty_history(duty=adjusted)["versions"][::-1]  # the duty page's records, oldest first
    assert [v["number"] for v in versions] == [row["version"].number for row in page] == [1, 2]
    assert versions[1]["changes"] == [
        {"field": str(c["label"]), "old": str(c["old"]), "new": str(c["new"])} for c in page[1]["changes"]
    ]
    assert {"field": "职责名称", "old": "森林草原防火巡查", "new": "森林草原防火巡查（调整）"} in versions[1]["changes"]
    assert versions[0]["changes"] == [] and versions[0]["document_number"]
    assert duties[adjusted.pk]["name"] == "森林草原防火巡查（调整）"


@pytest.mark.parametrize(("key", "status"), [("forestry", 200), ("office", 200), ("liuhe", 403), ("city", 403)])
def test_a_townships_list_is_read_by_those_the_duty_list_page_shows_it_to(client, banner, adjusted, key, status):
    """Another township and the city's government know the township (403), not its internal list."""
    bearer = token(client, banner.org(key), "duties:read")
    response = get(client, reverse("api:duty_list", args=[banner.org("naji").pk]), bearer)
    assert response.status_code == status
    if status == 200:
        page = selectors.township_duties(user=banner.users.get(key), township_id=banner.org("naji").pk)
        assert [d["id"] for d in response.json()["results"]] == list(page.values_list("pk", flat=True))


def test_the_list_with_versions_costs_the_same_queries_for_one_duty_or_three(
    client, banner, django_assert_max_num_queries
):
    support.admitted(banner)
    bearer = token(client, banner.org("office"), "duties:read")
    url = reverse("api:duty_list", args=[banner.org("naji").pk])
    with django_assert_max_num_queries(16) as one:
        assert len(get(client, url, bearer).json()["results"]) == 1
    support.admitted(banner, duty_name="耕地撂荒排查")
    support.admitted(banner, duty_name="农村集体资产清查协助")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(get(client, url, bearer).json()["results"]) == 3


def test_the_document_list_costs_the_same_queries_for_one_case_or_three(client, banner, django_assert_max_num_queries):
    support.to_under_review(banner)
    bearer = token(client, banner.org("forestry"), "documents:read")
    with django_assert_max_num_queries(20) as one:
        first = len(get(client, reverse("api:documents"), bearer).json()["results"])
    support.to_under_review(banner, duty_name="耕地撂荒排查")
    support.to_under_review(banner, duty_name="农村集体资产清查协助")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(get(client, reverse("api:documents"), bearer).json()["results"]) == 3 * first
