"""The header between a phone and a wide screen (issue 13 part 1; seen in the walkthrough): in English, with a
two-digit notice count, the links and the person's block never overlap and nothing runs off the page — when both do
not fit on one row, the person's block takes a row of its own."""

from pathlib import Path

import pytest

from admission.models import NoticeKind, Notification
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS
from tests.e2e.test_responsive__375 import log_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

OVERLAPS = """() => {
  const boxes = sel => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
  const links = boxes('header.top nav a'), who = boxes('header.top .who > *');
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  return links.flatMap((a, i) => who.filter(b => meet(a, b)).map(() => i)).length;
}"""


@pytest.mark.django_db(transaction=True)
def test_the_header_links_and_the_persons_block_never_overlap_at_desktop_widths_in_english(page, live_server):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    user = banner.users["office"]
    Notification.objects.bulk_create(
        Notification(user=user, kind=NoticeKind.TASK_ARRIVED, key=f"arrived:{i}", text="新任务", link="/")
        for i in range(12)
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server.url, user.username)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("header.top nav").get_by_text("12").is_visible()
    for width in (1280, 1100, 900, 780):
        page.set_viewport_size({"width": width, "height": 700})
        page.screenshot(path=str(SHOTS / f"41-header-en-{width}.png"))
        assert page.evaluate(OVERLAPS) == 0, f"links and the person's block overlap at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (
            f"the page scrolls sideways at {width} px"
        )
        assert page.get_by_role("button", name="Log out").is_visible()
