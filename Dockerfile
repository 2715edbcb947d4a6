# syntax=docker/dockerfile:1
# Build stage: full install (TypeScript), compile to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY src ./src
COPY cmd ./cmd
RUN npm run build

# Runtime stage: production dependencies only, non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 && npm cache clean --force
# The default rollback journal (SQLite) lives in ./maestro-data: writable by the daemon, kept in a volume.
RUN mkdir -p /app/maestro-data && chown node:node /app/maestro-data
VOLUME /app/maestro-data
COPY --from=build /app/dist ./dist
COPY examples ./examples
USER node
EXPOSE 8080 9090 50051
ENTRYPOINT ["node", "/app/dist/cmd/maestro.js"]
CMD ["daemon", "--config", "/etc/maestro/*.hcl"]
