# Argus API server image (see docs/operations.md, "Docker").
#
#   docker build -t argus .
#   docker run -e SECRET_KEY=... -e DATABASE_URL=postgresql://... -e ARGUS_ALLOWED_HOSTS=argus.example.org \
#              -p 8000:8000 argus
#
# The same image runs the notification worker and the periodic jobs:
#   docker run ... argus python manage.py run_task_worker
#   docker run ... argus python manage.py run_periodic_jobs
# See docker-compose.yml for the whole set (postgres, redis, api, worker) and
# docs/configuration.md for every environment variable.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/argus/src \
    DJANGO_SETTINGS_MODULE=argus.site.settings.prod \
    STATIC_ROOT=/argus/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/argus/metrics \
    PORT=8000

# tini reaps zombies and forwards signals to daphne / the worker.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /argus

# Dependencies first, so code changes do not invalidate this layer (psycopg2-binary and the
# other pinned wheels need no compiler on python:3.11-slim).
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY manage.py pyproject.toml README.md ./
COPY src ./src

# Static files (admin, favicon) are collected at build time and served by whitenoise. prod
# settings insist on SECRET_KEY and DATABASE_URL, so give it throwaway values for this step only.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 ARGUS_ALLOWED_HOSTS=localhost \
    PROMETHEUS_MULTIPROC_DIR=/tmp/collectstatic-metrics python manage.py collectstatic --noinput --verbosity 0

# /var/lib/argus/metrics: the counters of every Argus process of a container (or of a pod, as a
# shared volume) for /metrics.
RUN useradd --system --home-dir /argus --shell /usr/sbin/nologin argus \
    && chown -R argus /argus/staticfiles \
    && install -d -o argus /var/lib/argus/metrics
USER argus

EXPOSE 8000
ENTRYPOINT ["tini", "--"]
# Ready when the database, Redis and the migrations are (the worker and periodic containers of
# docker-compose.yml switch this off: they serve no HTTP).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/.ready/' % os.environ.get('PORT', '8000'), timeout=4)"]
# Apply migrations, then serve HTTP and the websocket on $PORT. Run initial_setup once by hand:
#   docker compose exec api python manage.py initial_setup
CMD ["sh", "-c", "python manage.py migrate --noinput && exec daphne -b 0.0.0.0 -p \"$PORT\" --proxy-headers argus.site.asgi:application"]
