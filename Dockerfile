# syntax=docker/dockerfile:1
# Build stage: full install (TypeScript, esbuild), compile to dist/ and bundle to
# dist/bundle/, then a production node_modules with better-sqlite3's native module built
# here (the toolchain stays in this stage; prebuilt binaries are used when they exist).
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY src ./src
COPY cmd ./cmd
COPY scripts ./scripts
RUN npm run build
# No pino-pretty (optional): logs are JSON. The bundle still needs the packages it keeps
# external (grpc-js and its proto files, web-tree-sitter and its .wasm, pino, better-sqlite3).
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm rebuild better-sqlite3 && npm cache clean --force

# Runtime stage: the bundle and production dependencies only, non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/bundle ./dist/bundle
COPY examples ./examples
# The default rollback journal (SQLite) lives in ./maestro-data: writable by the daemon, kept in a volume.
RUN mkdir -p /app/maestro-data && chown node:node /app/maestro-data
VOLUME /app/maestro-data
# The flows are mounted here (docker run -v ./flows:/etc/maestro:ro); maestro expands
# the glob itself. SIGHUP (docker kill -s HUP) reloads them without a restart.
RUN mkdir -p /etc/maestro && chown node:node /etc/maestro
USER node
# HTTP, GraphQL, gRPC, admin (/healthz, /readyz, /metrics, /config).
EXPOSE 8080 9090 50051 9100
# The admin listener answers /healthz whatever the flows serve; node's fetch, as the
# slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9100/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/bundle/maestro.js"]
CMD ["daemon", "--config", "/etc/maestro/*.hcl", "--admin", ":9100"]
