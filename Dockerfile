# Stamina's container image: `stamina all` by default; `serve` or `worker` as the command.
#
#   docker build -t stamina .
#   docker run --env-file .env -p 3000:3000 -v stamina-data:/data \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#     --security-opt systempaths=unconfined stamina
#
# The three --security-opt flags are what bubblewrap (the sandbox of every command) needs
# inside a container; the README's "Running in a container" says why each one. Not built in
# CI (the machines there have no Docker engine); test/tooling/deploy.test.ts checks this file.

# Node 20, as package.json's engines asks (>=20.19): the newest 20.x of Debian 12.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: the production dependencies, better-sqlite3 compiled here -----------------------
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# better-sqlite3 from source, against the image's own Node headers: nothing is fetched but
# the npm packages.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
# Stamina runs its TypeScript through tsx (a dependency), so there is no build step and no dev
# dependency is needed.
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# bubblewrap: every command's sandbox; socat: the sandbox's one way out, to the egress proxy;
# git: mirrors, worktrees, commits; ripgrep: the agent's search (else GNU grep); tini: PID 1,
# which reaps what the sandboxed commands leave and passes SIGTERM on; ca-certificates: git over
# HTTPS. The repositories' own toolchains are not here: add them in an image FROM this one.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    bubblewrap socat git ripgrep tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
# A user of its own, by number, so `runAsNonRoot` and `docker run --user` can check it.
RUN groupadd --gid 10001 stamina \
  && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/stamina --shell /usr/sbin/nologin stamina \
  && mkdir -p /data \
  && chown 10001:10001 /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json app.yml ./
COPY bin ./bin
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
COPY src ./src
ENV STAMINA_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000
# The database (SQLite, unless DATABASE_URL names a PostgreSQL), the repositories' mirrors and
# the runs' worktrees.
VOLUME ["/data"]
USER 10001:10001
# PORT: the webhooks, /healthz and /readyz of `serve` and `all`; 9464: STAMINA_METRICS_PORT,
# where `stamina worker` answers /healthz and /readyz.
EXPOSE 3000 9464
# /readyz of whichever process runs here: STAMINA_METRICS_PORT first, then PORT.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "scripts/healthcheck.mjs"]
# SIGTERM (docker stop) lets each run finish its step and go back to the queue: give
# `docker stop` a --time longer than STAMINA_SHUTDOWN_GRACE_SECONDS (default 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "tsx", "src/main.ts"]
CMD ["all"]
