"""WSGI entry point for gunicorn: keel.wsgi:application. Each worker loads this module before it accepts a
connection; the worker is warmed here (keel.web.warmup) so no one's request pays its first-use costs."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
application = get_wsgi_application()

if os.environ.get("KEEL_WARM_WORKERS", "1") != "0":
    from keel.web.warmup import freeze, warm

    warm(application)
    freeze()
