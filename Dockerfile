# lineupwatch as a container: the daemon (`lineupwatch schedule`) with its database, config and
# reports on one volume at /var/lib/lineupwatch. Build: docker build -t lineupwatch .
# Run: docker compose up -d   (compose.yaml beside this file)
FROM python:3.12-slim

WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY src ./src
RUN pip install --no-cache-dir . && rm -rf /src

RUN useradd --system --home-dir /var/lib/lineupwatch --shell /usr/sbin/nologin lineupwatch \
    && lineupwatch init /var/lib/lineupwatch \
    && chown -R lineupwatch:lineupwatch /var/lib/lineupwatch
USER lineupwatch
WORKDIR /var/lib/lineupwatch
ENV MPLCONFIGDIR=/var/lib/lineupwatch/.matplotlib
# config/lineupwatch.toml, data/lineupwatch.db, reports/ (a fresh named volume starts as a copy of these)
VOLUME ["/var/lib/lineupwatch"]
CMD ["lineupwatch", "schedule"]
