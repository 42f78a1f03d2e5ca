# breakglass bot image: Node 22 LTS, production dependencies only, non-root,
# `node dist/main.js` as PID 1 so SIGTERM reaches the bot (it finishes running
# jobs, then exits). Built by `cdk deploy` (infra/) or `docker build .`.
# Runs on a read-only root filesystem: the only writable path is /tmp.

ARG NODE_IMAGE=node:22-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 is a native addon: the toolchain builds it when no prebuilt
# binary matches (the embedded SQLite store stays available in the image).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The operator CLI (`node bin/breakglass.js history|migrate|init-table …`) runs
# from the TypeScript sources through tsx, a runtime dependency.
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root src ./src
# Files belong to root and are read-only for the bot; the volume keeps /tmp
# writable (mode 1777) when the root filesystem is mounted read-only.
VOLUME ["/tmp"]
USER node
EXPOSE 3000
CMD ["node", "dist/main.js"]
