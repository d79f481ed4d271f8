# The web image; the Celery worker and docker-compose's setup run the same image with another command (see
# docker-compose.yml); the nginx edge in front runs the official nginx image with the config setup writes.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDIA_ROOT=/data/media

WORKDIR /app

# A home directory, because gunicorn keeps its control socket under ~/.gunicorn. /data/edge: where docker-compose's
# setup writes the nginx edge's config (a volume takes this owner when first mounted).
RUN useradd --create-home --uid 10001 --user-group erp \
    && mkdir -p /data/media /data/edge && chown erp:erp /data/media /data/edge

# Requirements before the code, so a code change does not reinstall them. Only the runtime set: tests and tooling
# (requirements-dev.txt) stay out of the image.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected into the image and served by whitenoise; the random key exists only for this build step.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput --verbosity 0

USER erp
EXPOSE 8000
CMD ["gunicorn", "erp.wsgi:application", "-c", "python:erp.gunicorn_conf", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
