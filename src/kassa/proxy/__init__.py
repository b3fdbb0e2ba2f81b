"""The hardware proxy: drives a POS PC's printer, drawer, display and scanner for the terminal.

It never imports Django; it runs as `kassa proxy` (FastAPI on uvicorn). See docs/proxy.md.
"""
