/**
 * `@portfolio/adapters-postgres`: the `TradeStore` and `EquityHistory` ports on PostgreSQL
 * (kysely builds the queries, `pg` runs them on a pool), every row scoped by an account id so
 * several service instances share one database.
 *
 * @since 0.1.0
 */
export * as PostgresDatabase from "./PostgresDatabase.js"
export * as PostgresTradeStore from "./PostgresTradeStore.js"
export * as PostgresEquityHistory from "./PostgresEquityHistory.js"
export * as PostgresStore from "./PostgresStore.js"
export * as PostgresMigrations from "./PostgresMigrations.js"
export * as Tables from "./Tables.js"
