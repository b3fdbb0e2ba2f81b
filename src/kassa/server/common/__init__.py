"""Small pieces every app may use: the domain error base, the decimal-string type, the
sales lock, and the back office's shared admin classes.

The apps import downward only, in this order (an app may import those before it, never
those after it, and never the project modules):

    common → journal → catalog, staff → terminals → cash → orders → reports

`journal` sits just above `common` so that every app may record on the server's chain;
so it names terminals by their code and device tokens by their id, never by a foreign key.

The project modules (`api`, `urls`, `settings`, `cli`, `demo`, `terminal_views`,
`management`) sit on top and compose the apps: `api` adds each app's router.
tests/server/test_architecture.py checks this order on every run.
"""
