"""Settings of the bare project: what `django-admin startproject` writes, with the database set as Keel sets
it (SQLite: WAL, synchronous=FULL, IMMEDIATE transactions; persistent connections with health checks), so the
comparison measures Keel's code, not a different durability or connection policy."""

import os
from pathlib import Path

import dj_database_url

DATA_DIR = Path(os.environ.get("BARE_DATA_DIR", "/tmp/keel-bare"))
SECRET_KEY = os.environ.get("BARE_SECRET_KEY", "bare-bench-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "bare",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bare.urls"
WSGI_APPLICATION = "bare.wsgi.application"
TEMPLATES: list[dict[str, object]] = []

_url = os.environ.get("BARE_DATABASE_URL")
if _url:
    _database: dict[str, object] = dict(dj_database_url.parse(_url))
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "bare.sqlite3"),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
_database["CONN_MAX_AGE"] = 60
_database["CONN_HEALTH_CHECKS"] = True
if _url and os.environ.get("BARE_DATABASE_POOL") == "1":  # bench/pg_pool.py: Django's psycopg pool
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {**dict(_database.get("OPTIONS") or {}), "pool": {"min_size": 2, "max_size": 2}}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
