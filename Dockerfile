# Portfolio Intelligence — the HTTP service (packages/http) with its adapters and the dashboard.
#   docker build -t portfolio-intelligence .
#   docker run -p 8004:8004 -v "$PWD/data:/app/data" portfolio-intelligence
# Configuration: PORTFOLIO_* environment variables (packages/http/README.md).
# No Docker engine was at hand when this file was written: it is checked by hadolint, and its
# build steps (pnpm build, pnpm deploy --prod, node dist/main.js from the deployed directory) were
# run outside Docker, the image's /app laid out by hand (packages/http/README.md, "Docker").

# --- build: install everything, compile every package and the dashboard, then deploy the
# service's package with its production dependencies only.
FROM node:20-slim AS build
# better-sqlite3 is a native module: a compiler in case no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@10.34.9
WORKDIR /src
# The manifests first, so that the install layer is reused while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/adapters-sqlite/package.json packages/adapters-sqlite/
COPY packages/adapters-redis/package.json packages/adapters-redis/
COPY packages/adapters-postgres/package.json packages/adapters-postgres/
COPY packages/adapters-binance/package.json packages/adapters-binance/
COPY packages/report/package.json packages/report/
COPY packages/dashboard/package.json packages/dashboard/
COPY packages/cli/package.json packages/cli/
COPY packages/http/package.json packages/http/
RUN pnpm install --frozen-lockfile
COPY packages packages
COPY scripts scripts
# Every package (tsc -b) and the dashboard (esbuild); then /out: packages/http with dist/ and a
# node_modules of production dependencies only (workspace packages copied in with their dist/);
# then the service as one bundle in /out/dist/bundle (scripts/bundle.mjs: 87 instead of 116 MB
# idle), its external packages (better-sqlite3, pdfkit) linked where it looks for them.
RUN pnpm build \
 && pnpm --filter @portfolio/http deploy --prod --legacy /out \
 && node scripts/bundle.mjs /out/dist/bundle \
 && ln -s .pnpm/node_modules/better-sqlite3 /out/node_modules/better-sqlite3 \
 && ln -s .pnpm/node_modules/pdfkit /out/node_modules/pdfkit \
 && cp -r packages/dashboard/dist /out/dashboard

# --- run: the deployed service, as the unprivileged `node` user
FROM node:20-slim
ENV NODE_ENV=production \
    PORTFOLIO_HTTP_HOST=0.0.0.0 \
    PORTFOLIO_HTTP_PORT=8004 \
    PORTFOLIO_TRADE_STORE_DB_PATH=/app/data/portfolio.db \
    PORTFOLIO_DASHBOARD_DIR=/app/dashboard \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build --chown=node:node /out /app
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# The SQLite database (PORTFOLIO_TRADE_STORE_DB_PATH).
VOLUME ["/app/data"]
EXPOSE 8004
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORTFOLIO_HTTP_PORT||8004)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: `docker stop` is a graceful stop (exit code 0).
# The bundle, 2 MB semi-spaces: the memory figures of BENCHMARKS.md ("Issue 16 — memory").
CMD ["node", "--max-semi-space-size=2", "dist/bundle/main.js"]
