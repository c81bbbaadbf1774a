"""`{% report_panel assessment as panel %}`: the PDF report status for the overview page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

if TYPE_CHECKING:
    from assessments.models import Assessment, Report
    from assessments.views.reports import ReportPanel

register = template.Library()


@register.simple_tag(takes_context=True)
def report_panel(
    context: dict[str, Any], assessment: Assessment | None, report: Report | None = None
) -> ReportPanel | None:
    """The latest report's panel (or `report`'s); None when the person may not see reports."""
    from assessments.views.reports import report_panel as build_panel

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not assessment:
        return None
    # An undefined `report` in the including template arrives as "".
    return build_panel(user, assessment, report or None)
