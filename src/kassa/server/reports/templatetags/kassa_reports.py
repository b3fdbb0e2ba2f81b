"""Template helpers of the reports: a row's value by its column's name."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def dictitem(row: dict[str, Any], name: str) -> Any:
    return row.get(name, "")
