"""Settings of the gunicorn server the browser tests start: the project's own, with static files served straight from
the finders (static/ and the apps), so the tests need no `collectstatic` run."""

from erp.settings import *  # noqa: F403
from erp.settings_test import PASSWORD_HASHERS  # noqa: F401  (the test users' passwords are hashed with these)

WHITENOISE_USE_FINDERS = True
