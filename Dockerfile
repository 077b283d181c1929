# compact-calendar: feeds, web page and reminders from one events.yaml.
#
#   docker build -t compact-calendar .
#   docker run -p 8000:8000 -v "$PWD:/registry:ro" -v calendar-state:/data compact-calendar
#
# The registry is read from /registry/events.yaml: mount the directory that holds it
# (a directory, not the file, so that saves which replace the file are seen), or bake
# it in with `COPY events.yaml /registry/`. State (the SQLite ledger, the mail outbox)
# lives on the /data volume; set COMPACT_CALENDAR_DATABASE_URL=postgresql://... to
# share state between replicas instead.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the package and its dependencies into a virtualenv ---------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/compact-calendar \
 && /opt/compact-calendar/bin/pip install ".[postgresql]"

# --- runtime: the virtualenv, tzdata and an unprivileged user --------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 calendar \
 && useradd --system --uid 10001 --gid calendar --home-dir /data --shell /usr/sbin/nologin calendar \
 && mkdir -p /data /registry \
 && chown calendar:calendar /data
COPY --from=build /opt/compact-calendar /opt/compact-calendar
COPY events.yaml /registry/events.yaml
ENV PATH=/opt/compact-calendar/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    COMPACT_CALENDAR_REGISTRY=/registry/events.yaml \
    COMPACT_CALENDAR_DATABASE_URL=sqlite:////data/compact-calendar.sqlite3 \
    COMPACT_CALENDAR_OUTBOX=/data/outbox
USER calendar:calendar
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# The slim image has no curl: ask /healthz with the Python that is already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# Exec form: compact-calendar is PID 1 and gets SIGTERM itself, finishing requests in
# flight and the reminder being sent before it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["compact-calendar"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
