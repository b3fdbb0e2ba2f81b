from __future__ import annotations

from django.apps import AppConfig


class TerminalsConfig(AppConfig):
    name = "kassa.server.terminals"
    label = "terminals"

    def ready(self) -> None:
        from kassa.server.common.admin import terminal_scope_install, terminal_zones_install

        from .selectors import terminal_codes_for_request, terminal_zones

        terminal_scope_install(terminal_codes_for_request)
        terminal_zones_install(terminal_zones)
