/**
 * Both PostgreSQL ports on one shared pool: what a service wires when its store is PostgreSQL.
 *
 * @example
 * const program = Effect.gen(function*() {
 *   const store = yield* TradeStore
 *   const history = yield* EquityHistory
 * }).pipe(Effect.provide(PostgresStore.layerConfig))
 *
 * @since 0.1.0
 */
import type { EquityHistory, TradeStore } from "@portfolio/core"
import { type ConfigError, Layer } from "effect"
import * as PostgresDatabase from "./PostgresDatabase.js"
import * as PostgresEquityHistory from "./PostgresEquityHistory.js"
import * as PostgresTradeStore from "./PostgresTradeStore.js"

const stores = Layer.merge(PostgresTradeStore.layer, PostgresEquityHistory.layer)

/** `TradeStore` and `EquityHistory` (and the `PostgresDatabase` under them) for `options.accountId`. */
export const layer = (
  options: PostgresDatabase.Options
): Layer.Layer<TradeStore | EquityHistory | PostgresDatabase.PostgresDatabase, PostgresDatabase.PostgresDatabaseError> =>
  Layer.provideMerge(stores, PostgresDatabase.layer(options))

/** {@link layer} with the options read from `PORTFOLIO_POSTGRES_*` and `PORTFOLIO_ACCOUNT_ID` (see `PostgresDatabase.config`). */
export const layerConfig: Layer.Layer<
  TradeStore | EquityHistory | PostgresDatabase.PostgresDatabase,
  PostgresDatabase.PostgresDatabaseError | ConfigError.ConfigError
> = Layer.provideMerge(stores, PostgresDatabase.layerConfig)
