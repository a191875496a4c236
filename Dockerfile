# Leadrelay's image: the packed npm package installed with --omit=dev and run as a non-root user.
# The install steps are the ones `npm run test:package` runs in CI (docs/deploy/container.md says what is tested).
#
#   docker build -t leadrelay .
#   docker run -p 8080:8080 -v leadrelay-data:/data -e LEADRELAY_PUBLIC_URL=https://leads.example.com leadrelay

# 1. Build: TypeScript to JavaScript and the portal, packed as the npm package (`prepack` runs `npm run build`).
FROM node:20-bookworm-slim AS pack
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts here: the build needs neither better-sqlite3's native module nor the portal built twice.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm pack --pack-destination /pack && mv /pack/leadrelay-*.tgz /pack/leadrelay.tgz

# 2. Install the package with its runtime dependencies only. better-sqlite3's install script downloads a prebuilt
#    binary, and compiles SQLite when it cannot (hence the compiler, which stays in this stage).
FROM node:20-bookworm-slim AS install
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/leadrelay
COPY --from=pack /pack/leadrelay.tgz /tmp/leadrelay.tgz
# Approves the one install script that must run (npm 11 warns about unapproved ones; later versions block them).
RUN echo '{ "private": true, "allowScripts": { "better-sqlite3": true } }' > package.json
RUN npm install --omit=dev --no-audit --no-fund /tmp/leadrelay.tgz && npm cache clean --force

# 3. Run: Node and the installed package, nothing else.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PATH=/opt/leadrelay/node_modules/.bin:$PATH \
    LEADRELAY_HOST=0.0.0.0 \
    LEADRELAY_PORT=8080 \
    LEADRELAY_DATA_DIR=/data
COPY --from=install /opt/leadrelay /opt/leadrelay
# The official image's `node` user (uid 1000) owns the data directory; the code stays root-owned and read-only to it.
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.LEADRELAY_PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# serve drains on SIGTERM: requests in flight are answered, delivery attempts finish (LEADRELAY_SHUTDOWN_GRACE, 8 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["leadrelay"]
CMD ["serve"]
