# syntax=docker/dockerfile:1
# Build stage: full install (TypeScript), compile to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY src ./src
COPY cmd ./cmd
RUN npm run build

# Runtime stage: production dependencies only (no pino-pretty: logs are JSON), non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY examples ./examples
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
ENTRYPOINT ["node", "/app/dist/cmd/maestro.js"]
CMD ["daemon", "--config", "/etc/maestro/*.hcl", "--admin", ":9100"]
