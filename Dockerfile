# syntax=docker/dockerfile:1
# The API server. Build: docker build -t coffer-api .
# Only the server's workspaces (apps/api, libs/storage, libs/contract) are installed and copied,
# plus the browser pages apps/web builds (static files in apps/web/dist, served by the API): the
# image carries neither the CLI nor libs/crypto and its native AES-GCM binding, nor Vite.
# scripts/check-image-layout.js (run by .ci/run) reads this file and replays its COPY and npm steps
# without a Docker engine, then checks and measures the /app they produce: it understands FROM,
# WORKDIR, COPY [--from] [--chown] and RUN (one command per line, `\` continuations), so keep to those.
FROM node:20.20-bookworm-slim AS toolchain
WORKDIR /app
# argon2 compiles from source on this Node (its prebuilt binary crashes), so a toolchain is needed here.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# Manifests only, so the `npm ci` layers below are rebuilt only when dependencies change. npm needs
# every workspace's package.json to read the lockfile, even of workspaces it skips.
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
COPY apps/web/package.json apps/web/
COPY libs/contract/package.json libs/contract/
COPY libs/crypto/package.json libs/crypto/
COPY libs/state-files/package.json libs/state-files/
COPY libs/storage/package.json libs/storage/

FROM toolchain AS build
# The server's packages and the root's build tools. Scripts off: the root's `prepare` would build
# every workspace; argon2 is the one package whose install script the server needs.
RUN npm ci -w @coffer/api -w @coffer/web --include-workspace-root --ignore-scripts --no-audit --no-fund && npm rebuild argon2
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig*.json ./
COPY libs/contract ./libs/contract
COPY libs/storage ./libs/storage
COPY apps/api ./apps/api
COPY apps/web ./apps/web
RUN node scripts/prisma-generate.js && npx tsc -b apps/api && npx vite build apps/web --logLevel warn

FROM toolchain AS runtime-deps
# Production packages only. --omit=optional as well: npm marks the Prisma CLI and TypeScript
# (optional peers of @prisma/client) devOptional and keeps them under --omit=dev alone.
RUN npm ci -w @coffer/api --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm rebuild argon2
COPY scripts/prune-image-modules.sh ./scripts/
RUN sh scripts/prune-image-modules.sh node_modules

# Debian slim plus the node binary of the stages above (the same build, so argon2's binding fits),
# without what node:*-slim adds besides it (npm, yarn, corepack, C headers: ~70 MB never run).
FROM debian:bookworm-slim
WORKDIR /app
ENV APP_ENV=production NODE_ENV=production PORT=8080 DATA_DIR=/data
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --no-create-home --shell /usr/sbin/nologin node && mkdir -p /data && chown node:node /data
COPY --from=toolchain /usr/local/bin/node /usr/local/bin/node
COPY --from=runtime-deps --chown=node:node /app/package.json ./
COPY --from=runtime-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/libs/contract/package.json /app/libs/contract/
COPY --from=build --chown=node:node /app/libs/contract/dist /app/libs/contract/dist
COPY --from=build --chown=node:node /app/libs/storage/package.json /app/libs/storage/
COPY --from=build --chown=node:node /app/libs/storage/dist /app/libs/storage/dist
COPY --from=build --chown=node:node /app/apps/api/package.json /app/apps/api/
COPY --from=build --chown=node:node /app/apps/api/dist /app/apps/api/dist
COPY --from=build --chown=node:node /app/apps/web/dist /app/apps/web/dist
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/api/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "apps/api/dist/main.js"]
