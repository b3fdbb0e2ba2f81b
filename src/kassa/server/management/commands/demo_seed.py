"""`kassa manage demo_seed [--json] [--history DAYS]`: the demo shop, and a fresh pairing
code for its till.

A project-level command (it spans every app), so it lives beside kassa/server/demo.py and
not in an app, which may not import the project modules.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kassa.server.demo import demo_banner, demo_seed


class Command(BaseCommand):
    help = "Create the demo shop if missing and print its credentials with a new pairing code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print credentials as JSON")
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="DAYS",
            help="also a second store, two more tills and DAYS days of sales (once)",
        )
        parser.add_argument(
            "--proxy-url",
            help="the hardware proxy the demo till uses (default http://127.0.0.1:8765)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        credentials = demo_seed(proxy_url=options["proxy_url"], history_days=options["history"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "admin_user": credentials.admin_user,
                        "admin_password": credentials.admin_password,
                        "cashiers": [
                            {"name": n, "role": r, "pin": p} for n, r, p in credentials.cashiers
                        ],
                        "terminal": credentials.terminal,
                        "pairing_code": credentials.pairing_code,
                    }
                )
            )
        else:
            self.stdout.write(demo_banner(credentials, port=8000, proxy_port=8765))
