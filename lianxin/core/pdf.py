"""PDFs from HTML with WeasyPrint and Debian's Noto CJK fonts.

WeasyPrint needs Pango from the operating system, so it is imported only when a PDF is asked for;
when the packages are missing the user gets a clear message instead of a server error.
"""

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# Chinese text needs a CJK font: Debian's fonts-noto-cjk. Listed first so Latin digits match too.
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", sans-serif'
BASE_CSS = f"""
@page {{ size: A4; margin: 18mm 16mm; }}
html {{ font-family: {FONT_FAMILY}; font-size: 11pt; line-height: 1.6; }}
h1 {{ font-size: 18pt; text-align: center; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #444; padding: 3pt 5pt; vertical-align: top; }}
"""


class PdfUnavailable(RuntimeError):
    """The operating-system packages WeasyPrint needs are not installed."""

    def __init__(self, detail: str = ""):
        self.detail = detail
        super().__init__(
            _(
                "PDF output is not available on this server: the operating-system packages "
                "Pango and fonts-noto-cjk are missing. Ask the administrator to run "
                "scripts/os-deps.sh (apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)."
            )
        )


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: libpango cannot be loaded
        raise PdfUnavailable(str(error)) from error
    return weasyprint


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of an HTML document (UTF-8), with the CJK base style applied first."""
    weasyprint = _weasyprint()
    return weasyprint.HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=[weasyprint.CSS(string=BASE_CSS)]
    )


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """Render a Django template to a PDF."""
    return html_to_pdf(render_to_string(template_name, context, request=request))


def pdf_response(data: bytes, filename: str):
    """An inline PDF response; the name is ASCII-safe for old browsers, UTF-8 for the rest."""
    from urllib.parse import quote

    from django.http import HttpResponse

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}"
    return response
