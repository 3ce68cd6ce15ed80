"""Shared PDF and QR helpers: Chinese text survives into the PDF; a QR code encodes its link."""

import io

import pytest

from lianxin.core import pdf, qr


def test_pdf_carries_chinese_text():
    from pypdf import PdfReader

    data = pdf.html_to_pdf("<h1>幸福社区居务公开</h1><p>低保名单公示 2026年</p>")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "幸福社区居务公开" in text.replace(" ", "")
    assert "低保名单公示" in text.replace(" ", "")


def test_pdf_missing_os_packages_gives_a_clear_message(monkeypatch):
    def broken():
        raise pdf.PdfUnavailable("libpango-1.0.so.0: cannot open shared object file")

    monkeypatch.setattr(pdf, "_weasyprint", broken)
    with pytest.raises(pdf.PdfUnavailable) as caught:
        pdf.html_to_pdf("<p>x</p>")
    assert "fonts-noto-cjk" in str(caught.value)


def test_qr_code_is_inline_svg_of_the_link():
    image = qr.svg("https://lianxin.example/portal/board/1/")
    assert image.startswith("<svg") and "path" in image
    assert qr.svg_data_uri("x").startswith("data:image/svg+xml")
    assert qr.svg("a") != qr.svg("b")
