/**
 * Both SQLite ports on one shared connection: what a service wires when its store is SQLite.
 *
 * @example
 * const program = Effect.gen(function*() {
 *   const store = yield* TradeStore
 *   const history = yield* EquityHistory
 * }).pipe(Effect.provide(SqliteStore.layerConfig))
 *
 * @since 0.1.0
 */
import type { EquityHistory, TradeStore } from "@portfolio/core"
import { type ConfigError, Layer } from "effect"
import * as SqliteDatabase from "./SqliteDatabase.js"
import * as SqliteEquityHistory from "./SqliteEquityHistory.js"
import * as SqliteTradeStore from "./SqliteTradeStore.js"

const stores = Layer.merge(SqliteTradeStore.layer, SqliteEquityHistory.layer)

/** `TradeStore` and `EquityHistory` (and the `SqliteDatabase` under them) on the database at `options.path`. */
export const layer = (
  options: SqliteDatabase.Options
): Layer.Layer<TradeStore | EquityHistory | SqliteDatabase.SqliteDatabase, SqliteDatabase.SqliteDatabaseError> =>
  Layer.provideMerge(stores, SqliteDatabase.layer(options))

/** {@link layer} with the options read from `PORTFOLIO_TRADE_STORE_*` (see `SqliteDatabase.config`). */
export const layerConfig: Layer.Layer<
  TradeStore | EquityHistory | SqliteDatabase.SqliteDatabase,
  SqliteDatabase.SqliteDatabaseError | ConfigError.ConfigError
> = Layer.provideMerge(stores, SqliteDatabase.layerConfig)
