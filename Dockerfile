# lineupwatch as a container: the daemon (`lineupwatch schedule`) with its database, config and
# reports on one volume at /var/lib/lineupwatch. Build: docker build -t lineupwatch .
# Run: docker compose up -d   (compose.yaml beside this file)
#
# Base image pinned: the patch tag names the Python (3.11.11, Debian 12 "bookworm"), the digest its
# bytes. The digest is the one public Dockerfiles pin for this tag; it was not checked against the
# registry from here (no network). To move on: docker pull python:3.11.X-slim-bookworm, then
# docker inspect --format '{{index .RepoDigests 0}}' python:3.11.X-slim-bookworm, and edit both.
FROM python:3.11.11-slim-bookworm@sha256:081075da77b2b55c23c088251026fb69a7b2bf92471e491ff5fd75c192fd38e5

WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY docs ./docs
COPY src ./src
# Without the `parquet` extra: pyarrow (about 170 MB) serves `lineupwatch export` only. For export in
# the container, build with --build-arg EXTRAS=[parquet].
ARG EXTRAS=""
RUN pip install --no-cache-dir ".${EXTRAS}" && rm -rf /src

RUN useradd --system --home-dir /var/lib/lineupwatch --shell /usr/sbin/nologin lineupwatch \
    && lineupwatch init /var/lib/lineupwatch \
    && chown -R lineupwatch:lineupwatch /var/lib/lineupwatch
USER lineupwatch
WORKDIR /var/lib/lineupwatch
ENV MPLCONFIGDIR=/var/lib/lineupwatch/.matplotlib
# config/lineupwatch.toml, data/lineupwatch.db, reports/ (a fresh named volume starts as a copy of these)
VOLUME ["/var/lib/lineupwatch"]
# Healthy while the last good poll is recent: `lineupwatch status` exits non-zero when it is older
# than the config's threshold (2 days by default) or when there is none yet. A new container has
# never polled until the schedule's first run (06:17 UTC daily by default), so the start period is
# long: failures during it do not count; until the first poll (up to a day), it reports unhealthy.
# Start one at once with: docker compose exec lineupwatch lineupwatch run
HEALTHCHECK --interval=5m --timeout=30s --start-period=10m --retries=3 CMD ["lineupwatch", "status"]
# SIGTERM stops the daemon after the running job's current step; compose allows it 2 minutes
# (stop_grace_period), as the systemd unit does (TimeoutStopSec=2min).
STOPSIGNAL SIGTERM
CMD ["lineupwatch", "schedule"]
