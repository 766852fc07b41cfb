"""Django settings, all from the environment.

``evsynth serve`` needs nothing but this package: an embedded SQLite database in the user's data
folder, created and migrated on first start. ``EVSYNTH_DATABASE_URL=postgresql://...`` moves it
onto PostgreSQL for a team server. Every variable is listed in docs/deploy.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from evsynth.web.lib.config import data_dir, database_from_url, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

DEBUG = env_bool("EVSYNTH_DEBUG", default=False)


def _secret_key() -> str:
    """The signing key: from the environment, else one generated once and kept in the data folder.

    Keeping it in a file (mode 0600) lets sessions survive restarts of ``evsynth serve`` and be
    shared by all gunicorn workers without anyone having to invent a key.
    """
    key = os.environ.get("EVSYNTH_SECRET_KEY", "")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("EVSYNTH_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("EVSYNTH_CSRF_TRUSTED_ORIGINS", [])

# Behind a TLS-terminating proxy the operator turns these on (docs/deploy.md).
SECURE_COOKIES = env_bool("EVSYNTH_SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if env_bool("EVSYNTH_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "evsynth.web.accounts",
    "evsynth.web.reviews",
    "evsynth.web.screening",
    "evsynth.web.appraisal",
    "evsynth.web.analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "evsynth.web.lib.middleware.InputErrorMiddleware",
]

ROOT_URLCONF = "evsynth.web.urls"
WSGI_APPLICATION = "evsynth.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("EVSYNTH_DATABASE_URL", ""), DATA_DIR / "evsynth.sqlite3"
    )
}
if not os.environ.get("EVSYNTH_DATABASE_URL"):
    # The embedded database needs its folder; nothing else to set up.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "review-list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: after this many failures for one user name from one address within the
# window, further attempts are refused until the window has passed (evsynth.web.accounts).
EVSYNTH_LOGIN_MAX_FAILURES = int(os.environ.get("EVSYNTH_LOGIN_MAX_FAILURES", "5"))
EVSYNTH_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("EVSYNTH_LOGIN_LOCKOUT_SECONDS", "900"))

# Uploads: a search export of 50,000 records is about 60 MB of RIS; 100 MB by default.
EVSYNTH_MAX_UPLOAD_BYTES = int(os.environ.get("EVSYNTH_MAX_UPLOAD_BYTES", str(100 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = EVSYNTH_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Jobs (imports, deduplication, documents) run in a background thread; tests run them inline.
EVSYNTH_JOBS_INLINE = env_bool("EVSYNTH_JOBS_INLINE", default=False)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# collectstatic target for production (docs/deploy.md); without it whitenoise serves from the
# package through the finders.
STATIC_ROOT = os.environ.get("EVSYNTH_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATICFILES_DIRS = [BASE_DIR / "static"]
# Without collectstatic (evsynth serve), whitenoise serves straight from the package folder.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("EVSYNTH_LOG_LEVEL", "WARNING")},
}

# Anyone who can reach the server may create an account (the local default); a team server
# usually turns this off and the lead's operator creates accounts (docs/deploy.md).
EVSYNTH_SIGNUP_OPEN = env_bool("EVSYNTH_SIGNUP_OPEN", default=True)
