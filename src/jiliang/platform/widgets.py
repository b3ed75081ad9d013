"""Form widgets shared by every app's pages."""

from __future__ import annotations

from django import forms


class IsoDateInput(forms.DateInput):
    """``<input type="date">`` always filled as ISO 8601 (YYYY-MM-DD).

    The browser's date input accepts only ISO values; Django's localised default (``2018/11/09``
    in the Chinese UI) was rejected, the field showed empty and saving the form unchanged erased
    the date (issue 18).
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
