# MesChain: one image for the web server, the Celery worker and beat (compose.yaml).
# The same steps as the tested set-up: Python 3.11, requirements.txt, compiled
# translations, collected static files; PostgreSQL client tools for `manage.py backup`.
# bookworm: its postgresql-client (15) matches the postgres:15 server of compose.yaml;
# pg_dump must be at least the server's major version.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 meschain \
    && useradd --system --uid 10001 --gid meschain --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin meschain

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Build-time steps need no database and no secrets (development settings).
RUN python manage.py compilemessages --ignore ".venv" \
    && python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/backups \
    && chown meschain:meschain /app/media /app/backups

USER meschain
# Inside a container the proxy's address is not known in advance; the port is published
# on the host's loopback only (compose.yaml), behind nginx.
ENV GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_FORWARDED_ALLOW_IPS=* \
    MEDIA_ROOT=/app/media \
    BACKUP_DIR=/app/backups
EXPOSE 8000

# /health answers without the database; in production it wants an allowed host and
# https (from the proxy header), as nginx would send them.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD \
    python -c "import os, urllib.request; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0]; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/health', headers={'Host': host, 'X-Forwarded-Proto': 'https'}), timeout=4)"

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "meschain.wsgi"]
