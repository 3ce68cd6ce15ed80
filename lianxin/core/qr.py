"""QR codes (segno, pure Python): an inline SVG for pages and PDFs, no image files, nothing online."""

import segno


def svg(data: str, *, scale: int = 4) -> str:
    """An inline <svg> element encoding ``data`` (usually an absolute link)."""
    return segno.make(data, error="m").svg_inline(scale=scale, dark="#000", light="#fff")


def svg_data_uri(data: str, *, scale: int = 4) -> str:
    """A data: URI for an <img src> (WeasyPrint and the CSP's img-src data: both accept it)."""
    return segno.make(data, error="m").svg_data_uri(scale=scale)
