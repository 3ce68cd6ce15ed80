"""Public evaluation pages (D10 群众测评, D12 "足不出户"): no login. A code is 20 random characters
(100 bits), so guessing one is infeasible; a used or voided code is refused with 409."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors, services
from .models import BallotCode, CodeStatus, CycleStatus, Satisfaction


def start(request):
    """Type the code from a paper slip (for those who do not scan the QR code)."""
    code = services.normalize_code(request.GET.get("code", ""))
    if code:
        return redirect(reverse("performance_portal_ballot", args=[code]))
    return render(request, "performance/portal_start.html", {})


def _refusal(request, message, status=409):
    return render(request, "performance/portal_refused.html", {"message": message}, status=status)


def ballot(request, code):
    code = services.normalize_code(code)
    if request.method == "POST":
        # The hot path: ballot_cast reads the code once; the page is only rebuilt on a mistake.
        ratings = {
            key[1:]: value for key, value in request.POST.items() if key[:1] == "e" and key[1:].isdigit()
        }
        try:
            services.ballot_cast(code=code, ratings=ratings)
        except services.BallotRefused as error:
            return _refusal(request, " ".join(error.messages))
        except ValidationError as error:
            row = BallotCode.objects.select_related("cycle").get(code=code)
            return _page(request, row, error=" ".join(error.messages), chosen=ratings, status=400)
        return redirect(reverse("performance_portal_thanks"))
    row = BallotCode.objects.select_related("cycle").filter(code=code).first() if len(code) == 20 else None
    if row is None:
        return _refusal(request, _("This code is not valid. Check the code on your slip."), status=404)
    if row.status == CodeStatus.VOID:
        return _refusal(request, _("This code has been voided and cannot be used."))
    if row.status == CodeStatus.USED:
        return _refusal(request, _("This code has already been used: each code counts once."))
    if row.cycle.status != CycleStatus.OPEN:
        return _refusal(request, _("This evaluation is closed."))
    return _page(request, row)


def _page(request, row, error="", chosen=None, status=200):
    chosen = chosen or {}
    evaluees = [(e, chosen.get(str(e.pk), "")) for e in row.cycle.evaluees.all()]
    return render(
        request,
        "performance/portal_ballot.html",
        {
            "cycle": row.cycle,
            "code": row.code,
            "code_display": services.format_code(row.code),
            "evaluees": evaluees,
            "choices": Satisfaction.choices,
            "error": error,
        },
        status=status,
    )


def thanks(request):
    return render(request, "performance/portal_thanks.html", {})


def honours(request):
    roll = list(selectors.honour_roll()[:200])
    banner = selectors.red_banner_holders().first()
    return render(request, "performance/portal_honours.html", {"roll": roll, "banner": banner})
