"""The document fonts cut to GB 2312 (admission/documents/fonts.py): made once, used first, never the only face."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from weasyprint import HTML

from admission.documents import fonts

pytestmark = pytest.mark.skipif(
    not (fonts.SYSTEM_DIR / fonts.FACES[0].collection).exists(), reason="fonts-noto-cjk is not installed"
)
SERIF = fonts.FACES[0]


def test_prepare_cuts_a_face_once_and_declares_it(tmp_path, settings):
    settings.ADMISSION_FONT_DIR = tmp_path
    assert fonts.face_css() == ""
    assert fonts.prepare(text="公文格式", faces=[SERIF]) == [tmp_path / SERIF.filename]
    assert fonts.prepare(text="公文格式", faces=[SERIF]) == [], "a face already cut is kept"
    css = fonts.face_css()
    assert f'font-family: "{SERIF.family}"; font-weight: 400' in css
    assert (tmp_path / SERIF.filename).as_uri() in css
    assert list(tmp_path.iterdir()) == [tmp_path / SERIF.filename], "no partial file left behind"


def test_a_character_outside_the_cut_falls_back_to_the_full_system_face(tmp_path, settings):
    settings.ADMISSION_FONT_DIR = tmp_path
    fonts.prepare(text="公文格式", faces=[SERIF])
    html = (
        f'<style>{fonts.face_css()} p {{ font: 16pt "{SERIF.family}", "Noto Serif CJK SC"; }}</style><p>公文格式査</p>'
    )
    with pdfplumber.open(io.BytesIO(HTML(string=html).write_pdf())) as pdf:
        used = {c["text"]: c["fontname"] for c in pdf.pages[0].chars}
    assert all("GB2312" in used[c] for c in "公文格式"), used
    assert "GB2312" not in used["査"] and "Noto-Serif-CJK-SC" in used["査"], used


def test_prepare_says_which_face_it_is_cutting_and_how_far_it_has_come(tmp_path, settings):
    """issue 11: `make fonts` is not silent for minutes; a face already cut is named as skipped."""
    settings.ADMISSION_FONT_DIR = tmp_path
    said: list[str] = []
    fonts.prepare(text="公文格式", faces=[SERIF], progress=said.append)
    label = f"[1/1] {SERIF.name}（{SERIF.weight}）"
    assert [m.split("：")[1][:2] for m in said] == ["读取", "裁切", "写入", "完成"]
    assert all(m.startswith(label) for m in said)
    assert "4 个字符" in said[1] and SERIF.filename in said[2]
    said.clear()
    fonts.prepare(text="公文格式", faces=[SERIF], progress=said.append)
    assert said == [f"{label}：已有 {SERIF.filename}，跳过。"]


def test_prepare_fonts_command_reports_each_face_and_the_total(tmp_path, settings):
    from django.core.management import call_command

    settings.ADMISSION_FONT_DIR = tmp_path
    for face in fonts.FACES:
        (tmp_path / face.filename).write_bytes(b"")
    out = io.StringIO()
    call_command("prepare_fonts", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"公文字体：把 {len(fonts.FACES)} 个 Noto CJK 字体裁切到 GB 2312，存入 {tmp_path}")
    assert [line.split("：")[0] for line in lines[1:-1]] == [
        f"[{n}/{len(fonts.FACES)}] {face.name}（{face.weight}）" for n, face in enumerate(fonts.FACES, 1)
    ]
    assert lines[-1] == f"公文字体：新生成 0 个，共 {len(fonts.FACES)}/{len(fonts.FACES)} 个。"
