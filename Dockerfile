# Portfolio Intelligence — the HTTP service (packages/http) with its adapters.
#   docker build -t portfolio-intelligence .
#   docker run -p 8004:8004 -v "$PWD/data:/app/data" portfolio-intelligence
# Configuration: PORTFOLIO_* environment variables (packages/http/README.md).

# --- build: install everything, compile every package, then keep production dependencies only
FROM node:20-slim AS build
# better-sqlite3 is a native module: a compiler in case no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@10.34.9
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/adapters-sqlite/package.json packages/adapters-sqlite/
COPY packages/adapters-redis/package.json packages/adapters-redis/
COPY packages/adapters-binance/package.json packages/adapters-binance/
COPY packages/http/package.json packages/http/
COPY packages/dashboard/package.json packages/dashboard/
RUN pnpm install --frozen-lockfile
COPY packages packages
# CI=true: pnpm replaces node_modules without asking for a terminal.
RUN pnpm build \
 && CI=true pnpm install --frozen-lockfile --prod

# --- run: the compiled service, as the unprivileged `node` user
FROM node:20-slim
ENV NODE_ENV=production \
    PORTFOLIO_HTTP_HOST=0.0.0.0 \
    PORTFOLIO_HTTP_PORT=8004
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# The SQLite database (PORTFOLIO_TRADE_STORE_DB_PATH, default ./data/portfolio.db).
VOLUME ["/app/data"]
EXPOSE 8004
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORTFOLIO_HTTP_PORT||8004)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Node is PID 1 and handles SIGTERM itself: `docker stop` is a graceful stop (exit code 0).
CMD ["node", "--enable-source-maps", "packages/http/dist/main.js"]
