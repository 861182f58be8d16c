"""Rendering safety: long words, a render timeout, configured strings escaped for CSS, a URL
fetcher that reads only the report's own files, and tables that print well across pages."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from pathlib import Path

import pytest
from test_report_numbers import MONTH, ReportLake, answer, at, days, post, request, section

from socialpulse import pdf


def png(path: Path) -> Path:
    """A 2x2 red PNG: what a smuggled url() would draw."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def pdf_pages(path: str) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages]


def pdf_images(path: str) -> int:
    from pypdf import PdfReader

    return sum(len(p.images) for p in PdfReader(path).pages)


def held(lake: ReportLake) -> ReportLake:
    return lake.held("care", days("2026-11-01", "2026-11-30")).held("deals", days("2026-11-01", "2026-11-30"))


def test_a_100000_character_word_in_a_top_post_is_cut_and_the_report_renders(tmp_path):
    lake = held(ReportLake(tmp_path))
    word = "W" * 100_000
    lake.publish(
        "care",
        posts=[{**post("long", at("2026-11-03")), "text": f"Look {word} here"}],
        post_metrics_daily=[{"post_id": "long", "date": dt.date(2026, 11, 4), "impressions": 10, "likes": 9}],
    )
    rendered = lake.render()
    cell = re.search(r'<td class="post-text">(.*?)</td>', rendered["html_text"], re.S).group(1)
    assert "Look" in cell and "…" in cell
    assert max(len(w) for w in cell.split()) <= 41  # 40 characters and the ellipsis
    assert len(cell) < 400
    assert any("WWWWWWWWWW" in page for page in pdf_pages(rendered["pdf"]))


def test_a_title_with_a_newline_and_a_url_draws_nothing_into_the_pdf(tmp_path):
    import yaml

    from socialpulse.config import load_config

    image = png(tmp_path / "secret.png")
    lake = held(ReportLake(tmp_path / "lake"))
    raw = yaml.safe_load(lake.config.path.read_text())
    raw["reports"][0]["title"] = (
        f"Acme\n}} @page {{ @top-center {{ content: url(file://{image}) }} }} </style>"
    )
    lake.config.path.write_text(yaml.safe_dump(raw))
    lake.config = load_config(lake.config.path)
    lake.publish(
        "care",
        posts=[post("c1", at("2026-11-03"))],
        post_metrics_daily=[{"post_id": "c1", "date": dt.date(2026, 11, 4), "impressions": 10, "likes": 1}],
    )
    rendered = lake.render()
    assert pdf_images(rendered["pdf"]) == 0
    style = re.search(r"<style>(.*?)</style>", rendered["html_text"], re.S).group(1)
    assert "url(" not in style and "</" not in style, style
    assert "@top-center { content: url(file://" in pdf_pages(rendered["pdf"])[0]  # shown as text


def test_the_pdf_fetches_nothing_but_the_reports_own_files(tmp_path):
    image = png(tmp_path / "outside.png")
    page = f'<html><body><p>x</p><img src="file://{image}"><div style="background: url(file://{image})">y</div></body></html>'
    out = tmp_path / "out.pdf"
    out.write_bytes(pdf.html_to_pdf(page))
    assert pdf_images(str(out)) == 0
    fetcher = pdf.report_files_fetcher()
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch(f"file://{image}")
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch("http://127.0.0.1:9/anything")
    own = next(pdf.TEMPLATES_DIR.glob("*.j2"))
    assert fetcher.fetch(own.as_uri()).status in (200, None)


def test_a_render_that_takes_too_long_is_stopped(tmp_path):
    with pytest.raises(pdf.RenderTimeout, match="render_timeout_seconds"):
        pdf.render_pdf("<p>hello</p>", timeout_seconds=0.001)


def test_tables_repeat_their_header_on_every_page_and_headings_stay_with_them(tmp_path):
    lake = held(ReportLake(tmp_path))
    messages = []
    for i in range(70):  # seventy people answering one request each: the staff table spans pages
        asked = request(f"q{i:02d}", at("2026-11-02", f"{8 + i // 60:02d}:{i % 60:02d}"))
        messages += [asked, answer(asked, at("2026-11-02", "20:00"), staff=f"Person {i:02d}")]
    messages += [request(f"open{i:02d}", at("2026-11-20")) for i in range(15)]
    lake.publish("care", messages=messages)
    rendered = lake.render()
    assert "<thead>" in section(rendered["html_text"], "service")
    pages = pdf_pages(rendered["pdf"])
    with_staff = [p for p in pages if re.search(r"Person \d\d", p)]
    assert len(with_staff) >= 2
    assert all("Staff member" in p for p in with_staff)
    heading = next(p for p in pages if "People, not logos" in p)
    assert "Person 00" in heading.split("People, not logos")[1]
    backlog = next(p for p in pages if "Still unanswered at month end" in p)
    assert "Received (UTC)" in backlog.split("Still unanswered at month end")[1]
    assert MONTH == "2026-11"
