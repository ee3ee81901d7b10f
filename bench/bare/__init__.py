"""A bare Django 5.2 project: the baseline `bench/stack.py` measures Keel against (issue #21).

`startproject`'s middleware, one model, three views (`/healthz`: one `SELECT 1`; `/read/<id>`: a one-row read;
`/insert`: a one-row insert), served by the same gunicorn configuration as `keel serve`. Run from `bench/`:
`DJANGO_SETTINGS_MODULE=bare.settings BARE_DATA_DIR=/tmp/x gunicorn bare.wsgi:application`."""
