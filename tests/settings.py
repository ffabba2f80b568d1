"""Test settings: the real settings module, with fast hashing, an in-memory broker unless REDIS_URL is set,
and media in a temporary folder. DATABASE_URL / REDIS_URL from the environment select PostgreSQL / Redis."""

import os
import tempfile

if not os.environ.get("DEBUG"):
    os.environ["DEBUG"] = "true"
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="gongjian-test-data-"))

from portal.settings import *  # noqa: E402,F403
from portal.settings import REDIS_URL  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A real worker started by a test reads the uploads of the test's process: that test names the folder.
MEDIA_ROOT = os.environ.get("GJ_TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="gongjian-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="gongjian-test-static-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Uploads and generated files as the environment says (local folders unless MEDIA_STORAGE_URL names a bucket: the
# real-worker tests of tests/portal/test_storage_s3.py start their workers with it), static files unhashed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

# A second alias on the same test database (TEST MIRROR), so tests/portal/test_replica.py can tell which connection
# a read took; reads only go there when a test sets READ_REPLICA = "replica" (portal/replica.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405

# Each test starts with an empty cache (tests/conftest.py): a per-process one, never the shared Redis, so a cached
# figure can neither outlive the test's rolled-back rows nor meet another run's.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Unit tests run tasks in-process; the real-worker tests switch this off and talk to the broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# No helper sweeps unless a test asks (tests/portal/test_sweep_helpers.py): run eagerly they would take a sweep's rows
# inside its own call, and the tests that count what one sweep sent would count less.
SWEEP_HELPERS = 0
if not REDIS_URL:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}


class UndefinedTemplateVariable(str):
    """``string_if_invalid`` for the tests: rendering an undefined variable raises instead of printing nothing.

    Django formats ``string_if_invalid`` with the variable when it contains ``%s`` and prints it otherwise, so
    both ``%`` and ``str()`` raise. ``{% if %}``, ``{% for %}`` and ``{% firstof %}`` never use it (an undefined
    variable is falsy there, as designed); everything that prints or filters a variable does, so
    ``{{ missing|default:"—" }}`` raises too: test for the object in ``{% if %}`` instead."""

    def __new__(cls):
        return super().__new__(cls, "%s")

    def __mod__(self, variable):
        raise UndefinedTemplateVariableError(f"undefined template variable: {variable}")

    def __str__(self):
        raise UndefinedTemplateVariableError("undefined template variable")


class UndefinedTemplateVariableError(Exception):
    pass


TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = UndefinedTemplateVariable()  # noqa: F405
