# syntax=docker/dockerfile:1
# One image for both deployments; the command picks the app:
#   event-framework (default)  node dist/apps/event-framework/src/main.js
#   event-worker               node dist/apps/event-worker/src/main.js
#   migration Job              node dist/apps/event-framework/src/migrate.js
# Debian slim, not Alpine: the optional embedded Postgres ships glibc binaries.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: every dependency, compile TypeScript with swc into dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `npm install` honours the lock file (see .ci/run for why not `npm ci`).
RUN npm install --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
# scripts/build.js also emits bench/ and test/support/; they are dropped right after.
COPY bench ./bench
COPY test/support ./test/support
RUN node scripts/build.js && rm -rf dist/bench dist/test && find dist -name '*.map' -delete

# ---- production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    WORKER_HTTP_PORT=9464 \
    DATA_DIR=/var/lib/mailstrata
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
# Code is root-owned and read-only to the app user; only DATA_DIR (embedded Postgres, never used in
# production) is writable. Works with a read-only root filesystem (mount an emptyDir at /tmp and DATA_DIR).
RUN mkdir -p /var/lib/mailstrata && chown node:node /var/lib/mailstrata
# The `node` user of the official image (uid 1000), numeric so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 9464
# No curl in slim images: Node's fetch probes the API's /healthz, or the worker's ops listener.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=[process.env.PORT||8080,process.env.WORKER_HTTP_PORT||9464];Promise.any(p.map(x=>fetch('http://127.0.0.1:'+x+'/healthz').then(r=>{if(!r.ok)throw r.status}))).then(()=>process.exit(0),()=>process.exit(1))"]
# node runs as PID 1 and gets SIGTERM itself (no npm or shell in between); both apps handle it.
ENTRYPOINT ["node"]
CMD ["dist/apps/event-framework/src/main.js"]
