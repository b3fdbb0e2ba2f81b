"""The proxy tests' real parts (a TCP socket printer, the proxy's settings), for tests that
join the terminal's code and the proxy's."""

from tests.proxy.conftest import make_settings, no_leftover_threads, tcp_printer

__all__ = ["make_settings", "no_leftover_threads", "tcp_printer"]
