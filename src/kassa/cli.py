"""The `kassa` command.

Each subcommand imports only what it needs: `kassa proxy` must run on a POS PC where
Django is not installed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: kassa COMMAND [ARGS...]

commands:
  demo              demo shop on SQLite: server and hardware proxy with virtual devices
  server            production server (gunicorn): --host, --port, --workers
  import-products   import a product CSV file into the catalog
  manage            Django's management commands (kassa manage help)
  journal           verify the journal's chains or an archive, write a month's archive
                    (kassa journal --help)
  export            exports for the tax authorities: kassa export dsfinvk --terminal T
                    --from Z1 --to Z2 (the German DSFinV-K, docs/dsfinvk.md)
  backup FILE       back up the database (SQLite online backup, or pg_dump)
  restore FILE      restore a backup into an empty database
  proxy             the hardware proxy (kassa proxy --help)

`kassa proxy` needs `pip install 'kassa[proxy]'`; every other command needs
`pip install 'kassa[server]'` (both: `pip install 'kassa[server,proxy]'`).
"""

# The extra each command needs, and a module that only that extra brings.
EXTRAS = {"proxy": ("proxy", "uvicorn"), "server": ("server", "django")}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE, end="")
        return 0
    command, rest = args[0], args[1:]
    if command == "proxy":
        if not _installed("proxy"):
            return 2
        from kassa.proxy.cli import main as proxy_main

        return proxy_main(rest)
    if command in {
        "demo",
        "server",
        "import-products",
        "manage",
        "journal",
        "export",
        "backup",
        "restore",
    }:
        if not _installed("server"):
            return 2
        from kassa.server.cli import main as server_main

        return server_main(command, rest)
    print(f"kassa: unknown command {command!r}\n\n{USAGE}", file=sys.stderr, end="")
    return 2


def _installed(extra: str, *, quiet: bool = False) -> bool:
    """Whether `kassa[extra]` is installed; if not, say how to install it (not a traceback)."""
    import importlib.util

    name, module = EXTRAS[extra]
    if importlib.util.find_spec(module) is not None:
        return True
    if not quiet:
        print(
            f"kassa: this command needs the {name} part of Kassa, which is not installed.\n"
            f"Install it with:  pip install 'kassa[{name}]'   (or 'kassa[server,proxy]' for "
            "both, as the demo wants)",
            file=sys.stderr,
        )
    return False


if __name__ == "__main__":
    sys.exit(main())
