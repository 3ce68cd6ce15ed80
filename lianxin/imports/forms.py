from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ImportKind


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file contains"),
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        initial=ImportKind.HOUSEHOLDS,
    )
    file = forms.FileField(
        label=_("Spreadsheet file"),
        help_text=_("An .xlsx or .csv file. Nothing is saved until you check the report and confirm."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
