"""Serves the POS terminal's static web app at /pos/ (the files live in kassa/terminal)."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponseBase, HttpResponseNotFound


def terminal_app(request: HttpRequest) -> HttpResponseBase:
    index = settings.TERMINAL_DIR / "index.html"
    if not index.exists():
        return HttpResponseNotFound("The terminal is not installed.")
    response = FileResponse(index.open("rb"), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
