"""The resident portal's public pages (D12), no login: the board per community by section, policies,
service guides and news, one notice with its fingerprint, its printable PDF with a QR code, the short
link printed on paper copies, the comment box and its published answers. Mobile first, no JavaScript."""

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from lianxin.core import pdf, qr
from lianxin.core.middleware import client_ip
from lianxin.web.forms import apply_service_errors

from . import forms, selectors, services
from .models import BoardItem, Comment, Section, Topic

PORTAL_LIMITS = {"comment": (5, 3600), "status": (60, 600)}
TOPICS = {"policy": Topic.POLICY, "guide": Topic.GUIDE, "news": Topic.NEWS}


def _over_limit(request, kind: str) -> bool:
    """A fixed window per client address: the comment box cannot be flooded, numbers not guessed."""
    limit, window = PORTAL_LIMITS[kind]
    key = f"disclosure:portal:{kind}:{client_ip(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    return count > limit


def home(request):
    """Choose a community (a ``place`` parameter goes straight to it: the form works without JS)."""
    form = forms.PortalCommunityForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("disclosure_portal_community", place_id=form.cleaned_data["place"].pk)
    communities = selectors.portal_communities()
    return render(request, "disclosure/portal_home.html", {"form": form, "communities": communities})


def community(request, place_id):
    place = selectors.portal_community(place_id)
    section = request.GET.get("section", "")
    if section not in Section.values:
        section = ""
    topic_key = request.GET.get("topic", "")
    topic = TOPICS.get(topic_key)
    archive = request.GET.get("archive") == "1"
    items = selectors.portal_board(place=place, section=section, topic=topic, archive=archive)
    query = "&".join(
        part
        for part in (
            f"section={section}" if section else "",
            f"topic={topic_key}" if topic else "",
            "archive=1" if archive else "",
        )
        if part
    )
    return render(
        request,
        "disclosure/portal_community.html",
        {
            "place": place,
            "sections": Section.choices,
            "section": section,
            "topics": [(key, Topic(value).label) for key, value in TOPICS.items()],
            "topic": topic_key if topic else "",
            "archive": archive,
            "page": Paginator(items, 20).get_page(request.GET.get("page")),
            "query": query,
            "answers_count": selectors.portal_answers(place=place).count(),
        },
    )


def _item_context(request, item: BoardItem) -> dict:
    short_url = request.build_absolute_uri(item.get_short_url())
    return {
        "item": item,
        "history": item.history(),
        "newer": item.newer(),
        "short_url": short_url,
        "qr_svg": qr.svg_data_uri(short_url, scale=3),
        "printed_at": timezone.localtime(),
    }


def item_detail(request, pk):
    item = selectors.portal_item(pk)
    return render(request, "disclosure/portal_item.html", _item_context(request, item))


def item_pdf(request, pk):
    """The paper copy for the physical board: the text, its fingerprint, a QR code of its short link."""
    item = selectors.portal_item(pk)
    try:
        data = pdf.render_pdf("disclosure/item_pdf.html", _item_context(request, item), request=request)
    except pdf.PdfUnavailable as exc:
        return render(
            request, "disclosure/portal_pdf_unavailable.html", {"item": item, "message": str(exc)}, status=503
        )
    return pdf.pdf_response(data, f"{item.place.name}-{item.title}-v{item.version}.pdf")


def short_link(request, code):
    """The short link printed (and QR-encoded) on a paper copy: it opens exactly that version, which
    says whether a newer one exists."""
    item = BoardItem.objects.public().filter(code=(code or "").upper()).only("pk").first()
    if item is None:
        raise Http404
    return redirect("disclosure_portal_item", pk=item.pk)


@never_cache
def comment_new(request, place_id):
    place = selectors.portal_community(place_id)
    initial = {}
    about = BoardItem.objects.public().filter(code=request.GET.get("about", "").upper(), place=place).first()
    if about is not None:
        initial["subject"] = _("About: %(title)s") % {"title": about.title}
    form = forms.PortalCommentForm(request.POST or None, initial=initial)
    created, limited = None, False
    if request.method == "POST":
        if _over_limit(request, "comment"):
            limited = True
        elif form.is_valid():
            try:
                created = services.comment_submit(
                    actor=request.user if request.user.is_authenticated else None,
                    place=place,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
    return render(
        request,
        "disclosure/portal_comment.html",
        {"place": place, "form": form, "created": created, "limited": limited},
        status=429 if limited else 200,
    )


@never_cache
def comment_status(request, number):
    """The receipt number is the key: whoever holds it sees the status and the answer (nothing personal)."""
    if _over_limit(request, "status"):
        return render(request, "disclosure/portal_comment_status.html", {"limited": True}, status=429)
    comment = Comment.objects.select_related("place").filter(number=(number or "").upper()).first()
    if comment is None:
        raise Http404
    return render(request, "disclosure/portal_comment_status.html", {"comment": comment})


def answers(request, place_id):
    place = selectors.portal_community(place_id)
    qs = selectors.portal_answers(place=place)
    return render(
        request,
        "disclosure/portal_answers.html",
        {"place": place, "page": Paginator(qs, 20).get_page(request.GET.get("page")), "query": ""},
    )
