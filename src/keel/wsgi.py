"""WSGI entry point for gunicorn: keel.wsgi:application. Each worker loads this module before it accepts a
connection; the worker is warmed here (keel.web.warmup) so no one's request pays its first-use costs."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after the settings module is chosen)

if settings.KEEL_WARM_WORKERS:
    from keel.web.warmup import freeze, warm

    warm(application)
    freeze()
