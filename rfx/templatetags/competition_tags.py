"""Filters for the competition pages: rates as percentages, gaps as points, bar widths."""

from __future__ import annotations

from django import template

from rfx import competition_display

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    return competition_display.percent(value, int(digits))


@register.filter
def points(value: float | None, digits: int = 1) -> str:
    return competition_display.points(value, int(digits))


@register.filter
def width(value: float | None) -> str:
    """A rate from 0 to 1 as a CSS width in percent, e.g. "83.33"."""
    if value is None:
        return "0"
    return f"{min(max(value, 0.0), 1.0) * 100:.2f}"
