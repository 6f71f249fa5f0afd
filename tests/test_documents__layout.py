"""GB/T 9704-2012 layout, measured from the rendered PDFs themselves.

One module-scoped walk issues every kind of document (a regular case with a supplement loop to admission, one refused
by the banner leadership, one rejected by the joint meeting), renders them inline after each step "commits", keeps the
PDF bytes, and rolls the database back. The tests below only read those bytes.

Coordinates: pdfplumber gives points from the top-left corner of the page; the text block (版心) of GB/T 9704 is
156 x 225 mm: left 28 mm, right 210 - 26 mm, top 37 mm, bottom 297 - 35 mm.
"""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace

import pdfplumber
import pytest
from django.db import transaction
from django.test import TestCase, override_settings

from admission.documents.content import LETTER_KINDS, UPWARD_KINDS
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.models import (
    DocumentKind,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RenderStatus,
    Role,
)
from admission.services import intake
from admission.services.setup import add_member
from tests import support
from workflows import actions
from workflows.management.commands.seed_demo import MONGOLIAN_NAMES

MM = 72 / 25.4
LEFT, RIGHT, TOP, BOTTOM = 28 * MM, (210 - 26) * MM, 37 * MM, (297 - 35) * MM
TOLERANCE = 1 * MM
CENTRE = (LEFT + RIGHT) / 2
PAGE_HEIGHT = 297 * MM
RED = (0.84, 0.0, 0.06)
# The module's data lives in one rolled-back transaction of the `rendered` fixture; the mark only makes pytest-django
# set up the test database (it does so only for sessions with at least one django_db test).
pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"^\S+〔\d{4}〕[1-9]\d*号$")
PAGE_NUMBER = re.compile(r"^— (\d+) —$")
# Characters that may not begin a line (避头点) — a line may break early to keep them off a line start.
NO_LINE_START = set("，。、；：？！）》〕」』”’…—·．,.;:?!)")
NO_LINE_END = set("（《〔「『“‘(")


@dataclass
class Page:
    """What the tests read of one PDF page, extracted once per document."""

    page_number: int
    width: float
    height: float
    chars: list
    rects: list
    lines: list


@dataclass
class Rendered:
    kind: str
    number: str
    title: str
    content: dict
    verification_code: str
    verify_url: str
    pdf: bytes
    path: Path
    ofd: bytes
    document_pk: int

    @cached_property
    def pages(self) -> list[Page]:
        with pdfplumber.open(io.BytesIO(self.pdf)) as pdf:
            return [
                Page(p.page_number, p.width, p.height, list(p.chars), list(p.rects), list(p.lines)) for p in pdf.pages
            ]

    @contextmanager
    def open(self):
        yield SimpleNamespace(pages=self.pages)


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Rendered]:
    """Every DocumentKind, rendered inline the way the embedded default does it, as {kind: Rendered}."""
    from admission.documents.render import verify_url

    base = tmp_path_factory.mktemp("layout")
    keys = base / "keys"
    with (
        override_settings(
            ADMISSION_RENDER_ON_COMMIT=True,
            ADMISSION_SIGNING_KEYS_DIR=keys,
            ADMISSION_TRUST_ROOTS=[str(keys / "demo-root.pem")],
            MEDIA_ROOT=base / "files",
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
        issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")
        office, forestry = banner.users["office"], banner.users["forestry"]
        # The office's head signs off its request to the leadership (签发人, GB/T 9704 7.2.6).
        add_member(
            organization=banner.org("office"),
            username="office_head",
            password=support.PASSWORD,
            role=Role.HEAD,
            full_name="孙振华",
        )

        # Only what is issued inside a capture block is rendered (its on-commit job runs); the rest stays pending.
        admitted = support.draft(banner)
        with TestCase.captureOnCommitCallbacks(execute=True):
            admitted = actions.consult_townships(duty_request=admitted, actor=forestry)  # two consultation letters
        support.consult_all(banner, admitted)
        support.submit(banner, admitted)
        with TestCase.captureOnCommitCallbacks(execute=True):
            support.do(
                admitted,
                "intake",
                office,
                lambda: intake.return_for_supplement(
                    duty_request=admitted,
                    actor=office,
                    items=["书面申请未加盖单位公章。", "缺少各乡镇人员安排明细表。"],
                ),
            )
        support.do(
            admitted,
            "supplement",
            forestry,
            lambda: intake.resubmit_request(duty_request=admitted, actor=forestry, note="已补正。"),
        )
        support.accept(banner, admitted)
        support.bureau_opinions(banner, admitted)
        with TestCase.captureOnCommitCallbacks(execute=True):
            support.conclude(banner, admitted)  # review opinion
            support.banner_decides(banner, admitted)
            support.city_decides(banner, admitted)  # admission decision (regular track: after the city's approval)
            actions.issue_approval_form(duty_request=admitted, actor=office)  # 审批单: every opinion and decision

        # Art. 4(5), 4(4): the admitted duty is adjusted (adjustment notice), then leaves the lists (exit notice).
        duty = admitted.township_duties.get(township=banner.org("naji"))
        adjusted = support.propose(
            banner,
            duty,
            "adjustment",
            targets=list(admitted.township_duties.all()),
            legal_basis="《森林防火条例》（2026年修订）第二十条。",
            funding_amount=Decimal("150000.00"),
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            support.carry_through(banner, adjusted)
        exited = support.propose(banner, duty, "exit", targets=list(admitted.township_duties.all()))
        with TestCase.captureOnCommitCallbacks(execute=True):
            support.carry_through(banner, exited)

        refused = support.to_under_review(banner, duty_name="农村牧区宅基地日常巡查")
        support.bureau_opinions(banner, refused)
        support.conclude(banner, refused)
        with TestCase.captureOnCommitCallbacks(execute=True):
            support.banner_decides(banner, refused, approves=False)  # refusal notice

        # Issue 15: once the city approves on the platform, its reply is a document of its own (准入批复).
        city = support.levels_above(banner, approves_in_system=True, mongolian_names=MONGOLIAN_NAMES).city
        government = Organization.objects.get(jurisdiction=city, kind=OrganizationKind.CITY_GOVERNMENT)
        issue_demo_certificates(keys_dir=keys, organizations=[government], passphrase="")
        city_head = add_member(organization=government, username="city_head", password=support.PASSWORD, role=Role.HEAD)
        in_platform = support.awaiting_approval_case(banner, duty_name="草原鼠虫害日常监测")
        support.banner_decides(banner, in_platform)
        with TestCase.captureOnCommitCallbacks(execute=True):
            actions.approve_at_city(
                task=support.open_task(in_platform, "city_approval"), actor=city_head, approves=True
            )

        rejected = support.to_under_review(banner, duty_name="河道垃圾日常清理")
        support.bureau_opinions(banner, rejected, passes=("office", "data"))
        with TestCase.captureOnCommitCallbacks(execute=True):
            support.conclude(banner, rejected, passes=False)  # non-admission notice

        documents = {}
        for document in OfficialDocument.objects.filter(render_status=RenderStatus.RENDERED).order_by("pk"):
            if document.kind in documents:
                continue
            data = document.file.read()
            path = base / f"{document.kind}.pdf"
            path.write_bytes(data)
            documents[document.kind] = Rendered(
                kind=document.kind,
                number=document.number,
                title=document.title,
                content=document.content,
                verification_code=document.verification_code,
                verify_url=verify_url(document),
                pdf=data,
                path=path,
                ofd=document.ofd_file.read(),
                document_pk=document.pk,
            )
        failed = list(OfficialDocument.objects.filter(render_status=RenderStatus.FAILED).values_list("render_error"))
        assert not failed, failed
        transaction.set_rollback(True)
    return documents


KINDS = [kind.value for kind in DocumentKind]
# GB/T 9704 10.1: 函 and 复函 in the letter format; every other kind in the document format (文件格式).
LETTERS = [kind for kind in KINDS if kind in LETTER_KINDS]
FORMAL = [kind for kind in KINDS if kind not in LETTER_KINDS]


def _rendered(request, rendered) -> Rendered:
    assert request.param in rendered, f"no rendered {request.param}: the walk did not issue it"
    return rendered[request.param]


@pytest.fixture(params=KINDS)
def document(request, rendered) -> Rendered:
    return _rendered(request, rendered)


@pytest.fixture(params=FORMAL)
def formal(request, rendered) -> Rendered:
    return _rendered(request, rendered)


@pytest.fixture(params=LETTERS)
def letter(request, rendered) -> Rendered:
    return _rendered(request, rendered)


# --- helpers ---------------------------------------------------------------------------------------------------


def mm(points: float) -> str:
    return f"{points / MM:.1f} mm"


def rgb(value) -> tuple:
    """A pdfplumber colour (None, a grey level, or an RGB tuple) as RGB."""
    if value is None:
        return (0.0, 0.0, 0.0)
    value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    return value * 3 if len(value) == 1 else value


def colour(char) -> tuple:
    return rgb(char.get("non_stroking_color"))


def red(value) -> bool:
    return len(rgb(value)) == 3 and all(abs(a - b) <= 0.02 for a, b in zip(rgb(value), RED))


def is_red(char) -> bool:
    return red(char.get("non_stroking_color"))


def is_black(char) -> bool:
    return all(abs(v) <= 0.02 for v in colour(char))


def lines_of(chars, *, tolerance: float = 1.5):
    """Group characters into lines by their top, each sorted left to right."""
    lines: list[list] = []
    for char in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if lines and abs(lines[-1][0]["top"] - char["top"]) <= tolerance:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def text(line) -> str:
    return "".join(c["text"] for c in line)


def left(line) -> float:
    return min(c["x0"] for c in line)


def right(line) -> float:
    return max(c["x1"] for c in line)


def centre(line) -> float:
    return (left(line) + right(line)) / 2


def is_body_size(char) -> bool:
    return abs(char["size"] - 16) <= 0.1


def body_lines(page):
    """Black 16 pt lines: the addressee, paragraphs and headings, signature and date."""
    return lines_of([c for c in page.chars if is_black(c) and is_body_size(c)])


def full_width(line) -> bool:
    """Only CJK characters and punctuation (curly quotes and dashes are East Asian "ambiguous", set full width)."""
    return all(unicodedata.east_asian_width(c["text"]) in ("W", "F", "A") for c in line)


def joined(chars) -> str:
    return "".join(text(line) for line in lines_of(chars))


def verification_block(page):
    """The running element in the top margin of page 1: the verification code and URL (and the QR code beside it)."""
    return [c for c in page.chars if c["bottom"] <= TOP + TOLERANCE and not is_red(c)]


def is_mongolian(char) -> bool:
    return "Mongolian" in char["fontname"]


def visible(value: str) -> str:
    """Without spaces and format controls (Mongolian's vowel separator U+180E joins two letters into one glyph
    whose text is the letters alone)."""
    return "".join(c for c in value if not c.isspace() and unicodedata.category(c) != "Cf")


def mark_chars(page):
    """The (Chinese) header mark: the large red characters (neither body nor the 98 pt 演示文件 watermark) near the
    top, without the Mongolian name above them."""
    return [c for c in page.chars if 17 < c["size"] < 40 and c["top"] < 140 * MM and is_red(c) and not is_mongolian(c)]


def mongolian_mark_chars(page):
    """The issuer's name in Mongolian above the Chinese mark (内政办发〔1996〕32号 art. 3)."""
    return [c for c in page.chars if c["size"] > 17 and c["top"] < 140 * MM and is_red(c) and is_mongolian(c)]


def em_box(char) -> tuple[float, float]:
    """Top and bottom of a CJK character's ideographic em box (0.88 em above the baseline, 0.12 em below): the
    characters' edges as the standard measures them (pdfplumber's own top and bottom follow the font's ascent)."""
    baseline = PAGE_HEIGHT - char["matrix"][5]
    return baseline - 0.88 * char["size"], baseline + 0.12 * char["size"]


def red_lines(page, *, wider_than: float = 100 * MM):
    """Red rules and lines, top to bottom."""
    return sorted(
        (r for r in page.rects if r["width"] > wider_than and red(r.get("non_stroking_color"))), key=lambda r: r["top"]
    )


def page_number_chars(page):
    """The running element in the bottom margin: `— N —`."""
    return [c for c in page.chars if c["top"] >= BOTTOM - TOLERANCE]


# --- the tests ---------------------------------------------------------------------------------------------------


def test_the_walk_issues_every_kind_of_document(rendered):
    assert sorted(rendered) == sorted(KINDS)


def test_gbt9704_page_is_a4_portrait(document):
    with document.open() as pdf:
        assert pdf.pages
        for page in pdf.pages:
            assert abs(page.width - 595.28) <= 1 and abs(page.height - 841.89) <= 1, (page.width, page.height)


def test_gbt9704_text_stays_inside_the_156_by_225_mm_block(document):
    """Everything but the two running elements in the margins stays in the text block within ±1 mm."""
    with document.open() as pdf:
        for page in pdf.pages:
            # Running element 1: the page number, alone in the bottom margin of every page.
            # (GB/T 9704 10.1: none on the first page of a letter.)
            numbers = page_number_chars(page)
            first_of_letter = page.page_number == 1 and document.content["letter"]
            expected = "" if first_of_letter else f"— {page.page_number} —"
            assert joined(numbers) == expected, (page.page_number, joined(numbers))
            assert all(c["top"] >= BOTTOM for c in numbers)

            # Running element 2: the verification code and URL above the text block on page 1 only, with its QR code.
            block = verification_block(page)
            if page.page_number == 1:
                assert re.sub(r"\s", "", joined(block)) == f"查验码{document.verification_code}{document.verify_url}"
                assert all(c["bottom"] <= TOP and c["x1"] <= RIGHT + TOLERANCE for c in block)
                qr = [g for g in page.lines + page.rects if g["bottom"] <= TOP]
                assert len(qr) > 20, "the QR code is drawn in the top margin of page 1"
                assert all(g["x0"] >= LEFT - TOLERANCE and g["x1"] <= RIGHT + TOLERANCE for g in qr)
            else:
                assert block == [], f"page {page.page_number}: {joined(block)!r} above the text block"

            # A letter's mark stands above the text block, from 30 mm (GB/T 9704 10.1).
            letterhead = mark_chars(page) + mongolian_mark_chars(page) if first_of_letter else []
            running = {id(c) for c in numbers + block + letterhead}
            outside = [
                (c["text"], mm(c["x0"]), mm(c["top"]), mm(c["x1"]), mm(c["bottom"]))
                for c in page.chars
                if id(c) not in running
                and not (
                    c["x0"] >= LEFT - TOLERANCE
                    and c["x1"] <= RIGHT + TOLERANCE
                    and c["top"] >= TOP - TOLERANCE
                    and c["bottom"] <= BOTTOM + TOLERANCE
                )
            ]
            assert outside == [], f"page {page.page_number} of {document.number}: outside the text block"


def test_gbt9704_header_mark_is_red_and_centred(document):
    with document.open() as pdf:
        page = pdf.pages[0]
        mark = mark_chars(page)
        bottom = max(c["bottom"] for c in mark)
        above = [c for c in page.chars if 17 < c["size"] < 40 and c["top"] < bottom]
        assert all(is_red(c) for c in above), {(c["text"], colour(c)) for c in above}
        issuers = document.content["issuers"]
        if len(issuers) == 1 or document.content["letter"]:
            # One line: the issuer's name (the host's alone on a joint letter, 10.1), 文件 after it in a document.
            suffix = "" if document.content["letter"] else document.content["mark_suffix"]
            assert joined(mark) == issuers[0] + suffix
            assert len(lines_of(mark)) == 1, "the header mark stays on one line"
        assert abs(centre(mark) - CENTRE) <= TOLERANCE, mm(centre(mark) - CENTRE)


def test_gbt9704_7_2_4_joint_mark_stacks_the_issuers_host_first_with_wenjian_centred_beside_them(rendered):
    document = rendered[DocumentKind.ADMISSION_DECISION]
    issuers, suffix = document.content["issuers"], document.content["mark_suffix"]
    assert issuers == ["中共阿荣旗委员会", "阿荣旗人民政府"] and suffix == "文件"
    mark = mark_chars(document.pages[0])
    beside = sorted(mark, key=lambda c: c["x0"])[-len(suffix) :]
    names = lines_of([c for c in mark if c not in beside])
    assert [text(line) for line in names] == issuers
    # The names run to the same width, one above the other; 文件 to their right, centred on them vertically.
    assert all(
        abs(left(line) - left(names[0])) <= TOLERANCE and abs(right(line) - right(names[0])) <= TOLERANCE
        for line in names
    ), [(mm(left(line)), mm(right(line))) for line in names]
    assert text(beside) == suffix and left(beside) >= right(names[0]) - 0.5
    middle = (names[0][0]["top"] + names[-1][0]["bottom"]) / 2
    assert abs((beside[0]["top"] + beside[0]["bottom"]) / 2 - middle) <= TOLERANCE
    assert abs((left(names[0]) + right(beside)) / 2 - CENTRE) <= TOLERANCE


@pytest.mark.parametrize("kind", [kind for kind in FORMAL if kind not in UPWARD_KINDS])
def test_gbt9704_document_number_is_centred_below_the_mark_above_a_red_rule(rendered, kind):
    document = rendered[kind]
    with document.open() as pdf:
        page = pdf.pages[0]
        mark_bottom = max(c["bottom"] for c in mark_chars(page))
        numbers = [line for line in body_lines(page) if NUMBER.match(text(line))]
        assert [text(line) for line in numbers] == [document.number]
        number = numbers[0]
        assert NUMBER.match(document.number), document.number
        assert abs(centre(number) - CENTRE) <= TOLERANCE, mm(centre(number) - CENTRE)
        assert number[0]["top"] > mark_bottom

        # A red rule as wide as the text block, below the number and above the title.
        title_top = min(c["top"] for c in page.chars if abs(c["size"] - 22) <= 0.5)
        rules = [r for r in page.rects if r["width"] > 100 * MM and red(r.get("non_stroking_color"))]
        assert len(rules) == 1, rules
        rule = rules[0]
        assert abs(rule["x0"] - LEFT) <= TOLERANCE and abs(rule["x1"] - RIGHT) <= TOLERANCE
        assert number[0]["bottom"] < rule["top"] < title_top


def test_gbt9704_title_is_22_pt_centred_and_body_16_pt(document):
    with document.open() as pdf:
        first = pdf.pages[0]
        rule = red_lines(first)[0]  # the red rule, or a letter's upper double line
        title = [c for c in first.chars if is_black(c) and c["size"] > 17 and c["top"] > rule["bottom"]]
        assert joined(title) == document.title
        assert all(abs(c["size"] - 22) <= 0.5 for c in title), {c["size"] for c in title}
        for line in lines_of(title):
            assert abs(centre(line) - CENTRE) <= TOLERANCE, (text(line), mm(centre(line) - CENTRE))

        # The addressee line right below the title: flush left, 16 pt, ending in a full-width colon. The 审批单 is a
        # record of the case addressed to nobody: no addressee line, the body starts indented.
        below = [line for line in body_lines(first) if line[0]["top"] > max(c["bottom"] for c in title)]
        if document.content["addressees"]:
            addressee = "、".join(document.content["addressees"]) + "："
            assert abs(left(below[0]) - LEFT) <= 0.5 * MM
            taken = ""
            for line in below:
                taken += text(line)
                if taken.endswith("："):
                    break
            assert taken == addressee
        else:
            assert document.kind == DocumentKind.APPROVAL_FORM
            assert not text(below[0]).endswith("：")

        # Every other black character is body text at 3号 (16 pt); only the distribution block on the last page is
        # at 4号 (14 pt), like the page numbers.
        title_ids = {id(c) for c in title}
        body = []
        for page in pdf.pages:
            running = {id(c) for c in page_number_chars(page) + verification_block(page)}
            chars = [c for c in page.chars if is_black(c) and id(c) not in running and id(c) not in title_ids]
            smaller = [c for c in chars if abs(c["size"] - 14) <= 0.1]
            assert not smaller or page.page_number == len(pdf.pages), joined(smaller)
            others = [c for c in chars if abs(c["size"] - 14) > 0.1]
            assert all(is_body_size(c) for c in others), {(c["text"], c["size"]) for c in others if not is_body_size(c)}
            body.append(joined(others))
        text_of_body = "".join(body)
        assert len(text_of_body) > 100
        first_block = next(iter(document.content["blocks"][0].values()))
        assert first_block[:12] in text_of_body


def test_gbt9704_a_line_holds_28_body_characters(rendered):
    """Lines that run from the left edge of the text block to its right edge, in full-width characters."""
    full = []
    for document in rendered.values():
        with document.open() as pdf:
            for page in pdf.pages:
                for line in body_lines(page):
                    if full_width(line) and abs(left(line) - LEFT) <= 0.5 * MM and right(line) >= RIGHT - TOLERANCE:
                        full.append((document.kind, text(line)))
    assert full, "no full body line in any document"
    assert all(27 <= len(line) <= 28 for _, line in full), [f for f in full if not 27 <= len(f[1]) <= 28]
    assert any(len(line) == 28 for _, line in full)


def test_gbt9704_lines_break_only_when_the_28_character_line_is_full(rendered):
    """A line that is followed by a continuation line must be full unless line-breaking rules (避头尾) forbid
    moving the next character up: 26 characters after a paragraph's 2-character indent, 28 otherwise."""
    short = []
    for document in rendered.values():
        with document.open() as pdf:
            for page in pdf.pages:
                lines = body_lines(page)
                for line, following in zip(lines, lines[1:]):
                    continuation = abs(left(following) - LEFT) <= 0.5 * MM
                    indented = abs(left(line) - (LEFT + 32)) <= TOLERANCE
                    flush = abs(left(line) - LEFT) <= 0.5 * MM
                    if not continuation or not (indented or flush) or not full_width(line) or not full_width(following):
                        continue
                    if line[-1]["text"] in NO_LINE_END or following[0]["text"] in NO_LINE_START:
                        continue
                    if len(following) > 1 and following[1]["text"] in NO_LINE_START:
                        continue
                    expected = 26 if indented else 28
                    if len(line) != expected:
                        short.append((document.number, page.page_number, len(line), expected, text(line)))
    assert short == []


def test_gbt9704_body_lines_are_spaced_for_22_lines_a_page(rendered):
    """On pages the body flows onto, lines start at the top of the text block, one grid line (225 mm / 22) apart."""
    grid = 225 * MM / 22
    pitches = []
    for document in rendered.values():
        for page in document.pages[1:]:
            lines = body_lines(page)
            assert len(lines) <= 22, (document.number, page.page_number, len(lines))
            if not lines:  # the distribution block (a letter's copies) alone on the last page (版记页)
                alone = joined(page.chars)
                assert page is document.pages[-1] and ("印发" in alone or "抄送" in alone), (document.number, alone)
                continue
            assert 0 <= lines[0][0]["top"] - TOP < grid / 2, (document.number, page.page_number, mm(lines[0][0]["top"]))
            pitches += [b[0]["top"] - a[0]["top"] for a, b in zip(lines, lines[1:])]
    adjacent = [p for p in pitches if p < 1.5 * grid]
    assert len(adjacent) > 30
    assert all(abs(p - grid) <= 0.1 * MM for p in adjacent), sorted({mm(p) for p in adjacent})
    # Paragraphs add no space of their own: any larger gap (before the signature) is a whole number of lines.
    assert all(abs(p / grid - round(p / grid)) <= 0.05 for p in pitches), sorted({mm(p) for p in pitches})


def test_gbt9704_page_numbers_are_dashed_odd_right_even_left(rendered):
    document = rendered[DocumentKind.ADMISSION_DECISION]
    with document.open() as pdf:
        assert len(pdf.pages) >= 2, "needs an even page"
        one_character = 14  # 4号: the page number stands one character in from the edge of the text block
        for page in pdf.pages:
            number = page_number_chars(page)
            match = PAGE_NUMBER.match(text(number))
            assert match and int(match.group(1)) == page.page_number, text(number)
            assert all(abs(c["size"] - 14) <= 0.1 for c in number)
            assert all(c["top"] >= BOTTOM for c in number)
            if page.page_number % 2:
                assert abs(right(number) - (RIGHT - one_character)) <= TOLERANCE, mm(right(number))
            else:
                assert abs(left(number) - (LEFT + one_character)) <= TOLERANCE, mm(left(number))


def _distribution(pdf):
    """The distribution block (版记) of the last page: its 14 pt lines and the black rules around them."""
    page = pdf.pages[-1]
    lines = lines_of([c for c in page.chars if is_black(c) and abs(c["size"] - 14) <= 0.1 and c["top"] < BOTTOM])
    rules = [
        r
        for r in page.rects
        if r["width"] >= 150 * MM
        and not red(r.get("non_stroking_color"))
        and all(abs(v) <= 0.02 for v in rgb(r.get("stroking_color") or r.get("non_stroking_color")))
    ]
    return page, lines, rules


def test_gbt9704_distribution_block_closes_the_last_page_between_rules(formal):
    document = formal
    with document.open() as pdf:
        page, lines, rules = _distribution(pdf)
        copies = document.content["copies"]
        expected = ([f"抄送：{'，'.join(copies)}。"] if copies else []) + [
            f"{document.content['signature']}{document.content['date']}印发"
        ]
        assert re.sub(r"\s", "", "".join(text(line) for line in lines)) == re.sub(r"\s", "", "".join(expected))
        assert rules, "no rules around the distribution block"
        top = min(r["top"] for r in rules)
        bottom = max(r["bottom"] for r in rules)
        assert top <= lines[0][0]["top"] and lines[-1][0]["bottom"] <= bottom
        assert all(abs(r["x0"] - LEFT) <= TOLERANCE and abs(r["x1"] - RIGHT) <= TOLERANCE for r in rules)
        # Nothing of the body below the block; it is the last thing on the page.
        assert all(c["top"] < top for c in page.chars if is_black(c) and is_body_size(c))


def test_gbt9704_distribution_block_last_rule_lies_on_the_bottom_edge_of_the_text_block(formal):
    with formal.open() as pdf:
        _, _, rules = _distribution(pdf)
        assert abs(max(r["bottom"] for r in rules) - BOTTOM) <= TOLERANCE, mm(max(r["bottom"] for r in rules))


def test_pdffonts_lists_only_embedded_fonts(document):
    output = subprocess.run(["pdffonts", str(document.path)], capture_output=True, text=True, check=True).stdout
    header, dashes, *rows = output.splitlines()
    spans, start = [], 0
    for field in dashes.split(" "):
        spans.append((start, start + len(field)))
        start += len(field) + 1
    names = [header[a:b].strip() for a, b in spans]
    fonts = [{name: row[a:b].strip() for name, (a, b) in zip(names, spans)} for row in rows if row.strip()]
    assert fonts, output
    assert all(font["emb"] == "yes" for font in fonts), output


# --- GB/T 9704 10.1: the letter format (信函格式) of 函 and 复函 ---------------------------------------------------


def test_gbt9704_10_1_letter_mark_top_edge_is_30_mm_from_the_top_of_the_page(letter):
    """The bilingual mark starts there: the Mongolian name (its em box, taken as for the Chinese faces), the Chinese
    name below it."""
    page = letter.pages[0]
    top = min(em_box(c)[0] for c in mongolian_mark_chars(page) or mark_chars(page))
    assert abs(top - 30 * MM) <= 0.5 * MM, mm(top)


# --- 内政办发〔1996〕32号 art. 3: the Mongolian name above the Chinese mark, the same size ----------------------------


def test_nmg_1996_32_art3_mongolian_name_stands_above_the_chinese_mark_at_its_size(document):
    page = document.pages[0]
    mongolian, chinese = mongolian_mark_chars(page), mark_chars(page)
    expected = document.content["issuers_mongolian"][: 1 if document.content["letter"] else None]
    assert expected, "the walk's bodies have Mongolian names"
    assert all("\u202f" in name for name in expected), "the narrow no-break space before case suffixes is kept"
    assert visible(joined(mongolian)) == visible("".join(expected))
    assert max(c["bottom"] for c in mongolian) <= min(c["top"] for c in chinese) + 0.5, "above the Chinese mark"
    sizes = {round(c["size"], 1) for c in mongolian + chinese}
    assert len(sizes) == 1, f"both scripts the same size: {sizes}"
    for line in lines_of(mongolian, tolerance=3):
        assert abs(centre(line) - CENTRE) <= 2 * TOLERANCE, mm(centre(line) - CENTRE)
        assert left(line) >= LEFT - TOLERANCE and right(line) <= RIGHT + TOLERANCE


def test_gbt9704_10_1_letter_has_red_double_lines_170_mm_long(letter):
    """Thick over thin 4 mm below the mark; thin over thick 20 mm above the bottom edge of the page; centred."""
    page = letter.pages[0]
    lines = red_lines(page)
    assert len(lines) == 4, [(mm(r["top"]), mm(r["bottom"])) for r in lines]
    for line in lines:
        assert abs(line["width"] - 170 * MM) <= 0.5 * MM, mm(line["width"])
        assert abs((line["x0"] + line["x1"]) / 2 - CENTRE) <= 0.5 * MM
    thick, thin = lines[0]["height"], lines[1]["height"]
    assert thick > 2 * thin and lines[1]["top"] > lines[0]["bottom"], "upper: thick above thin"
    assert lines[2]["height"] < lines[3]["height"] / 2 and lines[3]["top"] > lines[2]["bottom"], (
        "lower: thin above thick"
    )
    mark_bottom = max(em_box(c)[1] for c in mark_chars(page))
    assert abs(lines[0]["top"] - mark_bottom - 4 * MM) <= 0.5 * MM, mm(lines[0]["top"] - mark_bottom)
    assert abs(PAGE_HEIGHT - lines[3]["bottom"] - 20 * MM) <= 0.5 * MM, mm(PAGE_HEIGHT - lines[3]["bottom"])
    # Only the first page is a letterhead.
    assert all(red_lines(p) == [] for p in letter.pages[1:])


def test_gbt9704_10_1_letter_number_is_flush_right_7_8_of_a_character_below_the_double_line(letter):
    page = letter.pages[0]
    number = [line for line in body_lines(page) if NUMBER.match(text(line))]
    assert [text(line) for line in number] == [letter.number]
    line = number[0]
    assert abs(right(line) - RIGHT) <= 0.5 * MM, mm(RIGHT - right(line))
    double_bottom = red_lines(page)[1]["bottom"]
    gap = min(em_box(c)[0] for c in line) - double_bottom
    assert abs(gap - 16 * 7 / 8) <= 0.5 * MM, mm(gap)
    # The title two lines below it.
    title_top = min(em_box(c)[0] for c in page.chars if is_black(c) and abs(c["size"] - 22) <= 0.5)
    assert title_top - em_box(line[0])[1] >= 2 * 28.95 - 16


def test_gbt9704_10_1_letter_shows_no_page_number_on_its_first_page(letter):
    pages = letter.pages
    assert page_number_chars(pages[0]) == []
    assert all(text(page_number_chars(p)) == f"— {p.page_number} —" for p in pages[1:])


def test_gbt9704_10_1_letter_distribution_block_has_only_the_copies_without_rules(letter):
    page = letter.pages[-1]
    small = [c for c in page.chars if is_black(c) and abs(c["size"] - 14) <= 0.1 and c["top"] < BOTTOM]
    copies = letter.content["copies"]
    assert re.sub(r"\s", "", joined(small)) == (f"抄送：{'，'.join(copies)}。" if copies else "")
    assert "印发" not in joined(small)
    black_rules = [r for r in page.rects if r["width"] >= 150 * MM and not red(r.get("non_stroking_color"))]
    assert black_rules == []
    if copies:  # at the foot of the last page's text block
        assert abs(max(c["bottom"] for c in small) - BOTTOM) <= 10 * MM


# --- GB/T 9704 7.2.5-7.2.6: the signatory of an upward document (上行文) ----------------------------------------


def test_gbt9704_7_2_6_upward_document_names_its_signatory_beside_the_number(rendered):
    document = rendered[DocumentKind.REVIEW_OPINION]
    assert document.content["signatory"] == "孙振华"  # the organization office's head
    page = document.pages[0]
    line = next(line for line in body_lines(page) if document.number in text(line))
    assert text(line) == f"{document.number}签发人：孙振华"
    assert all(is_body_size(c) for c in line)
    # The number one character in from the left, the signatory's name ending one character in from the right.
    assert abs(left(line) - (LEFT + 16)) <= 0.5 * MM, mm(left(line) - LEFT)
    assert abs(right(line) - (RIGHT - 16)) <= 0.5 * MM, mm(RIGHT - right(line))
    assert red_lines(page)[0]["top"] > line[0]["bottom"], "above the red rule"


# --- GB/T 9704 7.3.5.1: a joint issuer signs with both names, each under its own seal ------------------------------


@pytest.mark.parametrize("kind", [DocumentKind.ADMISSION_DECISION, DocumentKind.REFUSAL_NOTICE])
def test_gbt9704_7_3_5_joint_signature_has_each_name_under_its_own_seal_side_by_side(rendered, kind):
    document = rendered[kind]
    issuers = document.content["issuers"]
    assert issuers == ["中共阿荣旗委员会", "阿荣旗人民政府"]
    # The page that is signed: the last, or the one before a page holding only the copies.
    page = next(p for p in reversed(document.pages) if any(text(line) == "".join(issuers) for line in body_lines(p)))
    # The signature: both names on one line, host first; the date on the next line, under the last name.
    names = next(line for line in body_lines(page) if text(line) == "".join(issuers))
    # The seals' characters: red, set along each ring round the names (rotated, so of varying measured size).
    seal_chars = [c for c in page.chars if is_red(c) and c["size"] < 30 and abs(c["top"] - names[0]["top"]) < 25 * MM]
    assert sorted(c["text"] for c in seal_chars) == sorted("".join(issuers))
    first, second = names[: len(issuers[0])], names[len(issuers[0]) :]
    assert right(first) < left(second)
    date = next(line for line in body_lines(page) if text(line) == document.content["date"])
    assert date[0]["top"] > names[0]["bottom"]
    assert abs(centre(date) - centre(second)) <= TOLERANCE
    # Each seal centred on its name; the two seals apart (neither overlapping nor touching).
    seal_centres = []
    for name in (first, second):
        ring = [c for c in seal_chars if abs((c["x0"] + c["x1"]) / 2 - centre(name)) <= 25 * MM]
        seal_centres.append((min(c["x0"] for c in ring) + max(c["x1"] for c in ring)) / 2)
        assert abs(seal_centres[-1] - centre(name)) <= 3 * MM, mm(seal_centres[-1] - centre(name))
    assert seal_centres[1] - seal_centres[0] > 42 * MM, mm(seal_centres[1] - seal_centres[0])
    assert all(c["x0"] >= LEFT and c["x1"] <= RIGHT for c in seal_chars)


# --- issue 14: every document's text comes back out of it, by poppler and by pdfminer -----------------------------


def test_poppler_and_pdfminer_read_back_every_text_of_the_document(document):
    """A correct ToUnicode map for every subset font: title, number, mark (both scripts), addressees, each block."""
    from pdfminer.high_level import extract_text

    # In the order the content streams draw the text (-raw; laparams=None): the reading order of a justified title
    # or a footnote is another matter, the characters' Unicode values are this test's.
    poppler = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(document.path), "-"], capture_output=True, text=True
    )
    content = document.content
    sources = [
        document.title,
        document.number,
        *content["issuers"],
        *content["issuers_mongolian"][: 1 if content["letter"] else None],  # a letter: the host's alone
        "、".join(content["addressees"]),
        *(text for block in content["blocks"] for text in block.values()),
    ]
    wanted = Counter(visible("".join(sources)))
    for tool, extracted in (
        ("pdftotext", poppler.stdout),
        ("pdfminer", extract_text(str(document.path), laparams=None)),
    ):
        # Every character of the sources, as often as they have it (the order of lines is each tool's own).
        missing = wanted - Counter(visible(extracted))
        assert not missing, f"{tool} lost {''.join(missing.elements())!r} of {document.number}"
        # The lines of the body come back whole, in order (a paragraph's text runs on from line to line).
        flat = visible(extracted)
        assert all(visible(text) in flat for block in content["blocks"] for text in block.values() if len(text) < 28)


# --- issue 14: an independent OFD reader opens every OFD the walk issues and renders it like the PDF ----------------


def test_easyofd_opens_every_issued_ofd_and_renders_its_pages(document, tmp_path, monkeypatch):
    """The OFDs as issued (with the demo watermark, which easyofd draws upright and opaque: no pixel bound here)."""
    from tests.test_documents__ofd import easyofd_pages

    assert len(easyofd_pages(document.ofd, tmp_path, monkeypatch)) == len(document.pages)


def test_easyofd_renders_each_kind_like_its_pdf(document, tmp_path, monkeypatch):
    """Each kind rendered again without the watermark, as OFD from that PDF: a bounded difference page by page."""
    from admission.documents.ofd import pdf_to_ofd
    from admission.documents.render import document_html, render_pdf
    from tests.test_documents__ofd import BOUND, difference, easyofd_pages, pdf_pages

    issued = OfficialDocument(
        number=document.number,
        title=document.title,
        content=document.content,
        verification_code=document.verification_code,
    )
    pdf = render_pdf(document_html(issued, demo=False))
    ofd = pdf_to_ofd(pdf, title=document.title, author="", code=document.verification_code, number="", date="")
    pairs = list(zip(pdf_pages(pdf, tmp_path), easyofd_pages(ofd, tmp_path, monkeypatch), strict=True))
    assert [round(difference(a, b), 1) for a, b in pairs if difference(a, b) >= BOUND] == []
