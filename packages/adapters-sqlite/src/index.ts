/**
 * `@portfolio/adapters-sqlite`: the `TradeStore` and `EquityHistory` ports on SQLite (kysely
 * builds the queries, better-sqlite3 runs them), sharing one migrated connection.
 *
 * @since 0.1.0
 */
export * as SqliteDatabase from "./SqliteDatabase.js"
export * as SqliteTradeStore from "./SqliteTradeStore.js"
export * as SqliteEquityHistory from "./SqliteEquityHistory.js"
export * as SqliteStore from "./SqliteStore.js"
export * as SqliteMigrations from "./SqliteMigrations.js"
export * as Tables from "./Tables.js"
