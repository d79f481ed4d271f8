"""Settings of the gunicorn server the browser tests start: the project's own, with static files served straight from
the finders (static/ and the apps), so the tests need no `collectstatic` run."""

from erp.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
