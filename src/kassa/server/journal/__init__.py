"""The tamper-evident journal: the tills' hash chains of signed entries, checked and kept
exactly as received, and the server's own chain (docs/journal.md).

It sits just above `common`, so every app may record on the server's chain; it names
terminals by their code and device tokens by their id, never by a foreign key.
"""
