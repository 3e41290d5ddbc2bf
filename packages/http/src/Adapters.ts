/**
 * The choice of an implementation for each port, from the environment (DESIGN.md §7), and
 * the layer that builds them. The edge is the only place that knows the adapters.
 *
 * | port | default (embedded) | chosen when |
 * | --- | --- | --- |
 * | `TradeStore` + `EquityHistory` | SQLite file `./data/portfolio.db` | `PORTFOLIO_TRADE_STORE_TYPE=memory`: in memory; `=postgres`: PostgreSQL (`PORTFOLIO_POSTGRES_URL`, rows scoped by `PORTFOLIO_ACCOUNT_ID`) |
 * | `EventBus` | in process | `PORTFOLIO_REDIS_HOST` or `PORTFOLIO_REDIS_URL` set: Redis Streams |
 * | `AccountBalance` | paper cash (`PORTFOLIO_INITIAL_CASH`, 10 000) | both Binance keys set: Binance wallet |
 * | `PriceFeed` | `market.tick` events only | both Binance keys set: Binance mark prices |
 *
 * Every variable an adapter reads is read and validated here, before anything is opened.
 *
 * Only the adapters chosen are loaded: Redis, PostgreSQL and Binance (ioredis, pg, ws and their
 * code, some 16 MB of memory together) are imported when the environment names them, SQLite —
 * the embedded default — always.
 *
 * @since 0.1.0
 */
import type { BinanceAccountBalance, BinancePriceFeed } from "@portfolio/adapters-binance"
import type { PostgresDatabase } from "@portfolio/adapters-postgres"
import type { RedisEventBus } from "@portfolio/adapters-redis"
import { SqliteDatabase, SqliteStore } from "@portfolio/adapters-sqlite"
import {
  type AccountBalance,
  type BusError,
  type EquityHistory,
  type EventBus,
  MemoryEquityHistory,
  MemoryEventBus,
  MemoryPriceFeed,
  MemoryTradeStore,
  PaperBalance,
  type PriceFeed,
  type TradeStore
} from "@portfolio/core"
import { Config, type ConfigError, Duration, Effect, Layer } from "effect"
import { resolve } from "node:path"

/** Where trades and equity samples are kept. */
export type StoreChoice =
  | { readonly kind: "sqlite"; readonly options: SqliteDatabase.Options }
  | { readonly kind: "postgres"; readonly options: PostgresDatabase.Options }
  | { readonly kind: "memory" }

/** Which bus carries the events. */
export type BusChoice =
  | { readonly kind: "redis"; readonly options: RedisEventBus.Options }
  | { readonly kind: "memory" }

/** Where cash and prices come from. */
export type ExchangeChoice =
  | {
    readonly kind: "binance"
    readonly balance: BinanceAccountBalance.Options
    readonly prices: BinancePriceFeed.Options
  }
  | { readonly kind: "paper"; readonly initialCash: number }

/** The implementation chosen for each port. */
export interface Choice {
  readonly store: StoreChoice
  readonly bus: BusChoice
  readonly exchange: ExchangeChoice
}

/** The embedded defaults: SQLite file, in-process bus, paper cash, prices from ticks. */
export const embedded: Choice = {
  store: { kind: "sqlite", options: { path: "./data/portfolio.db" } },
  bus: { kind: "memory" },
  exchange: { kind: "paper", initialCash: PaperBalance.DEFAULT_INITIAL_CASH }
}

/** The adapters loaded on demand, each imported once. */
const importers = {
  redis: () => import("@portfolio/adapters-redis"),
  postgres: () => import("@portfolio/adapters-postgres"),
  binance: () => import("@portfolio/adapters-binance")
}
type Loaded = { -readonly [K in keyof typeof importers]?: Awaited<ReturnType<(typeof importers)[K]>> }
const loaded: Loaded = {}
const load = <K extends keyof typeof importers>(name: K): Effect.Effect<NonNullable<Loaded[K]>> =>
  Effect.promise(async () => (loaded[name] ??= (await importers[name]()) as Loaded[K]) as NonNullable<Loaded[K]>)

const isSet = (name: string): Config.Config<boolean> =>
  Config.string(name).pipe(
    Config.map((v) => v.trim() !== ""),
    Config.withDefault(false)
  )

const storeType = Config.string("PORTFOLIO_TRADE_STORE_TYPE").pipe(
  Config.map((t) => t.trim().toLowerCase()),
  Config.validate({
    message: "PORTFOLIO_TRADE_STORE_TYPE must be sqlite, postgres or memory",
    validation: (t): t is "sqlite" | "postgres" | "memory" => t === "sqlite" || t === "postgres" || t === "memory"
  }),
  Config.withDefault<"sqlite" | "postgres" | "memory">("sqlite")
)

/** Reads the choice, and every setting of the chosen adapters, from the environment. */
export const config: Effect.Effect<Choice, ConfigError.ConfigError> = Effect.gen(function* () {
  const type = yield* storeType
  const store: StoreChoice = type === "memory"
    ? { kind: "memory" }
    : type === "postgres"
    ? { kind: "postgres", options: yield* (yield* load("postgres")).PostgresDatabase.config }
    : { kind: "sqlite", options: yield* SqliteDatabase.config }
  const redis = (yield* isSet("PORTFOLIO_REDIS_HOST")) || (yield* isSet("PORTFOLIO_REDIS_URL"))
  const bus: BusChoice = redis ? { kind: "redis", options: yield* (yield* load("redis")).RedisEventBus.config } : { kind: "memory" }
  // Either key set: the Binance adapter reads both (and names the one missing).
  const binance = (yield* isSet("PORTFOLIO_BINANCE_API_KEY")) || (yield* isSet("PORTFOLIO_BINANCE_API_SECRET")) ? yield* load("binance") : undefined
  const exchange: ExchangeChoice = binance !== undefined && (yield* binance.BinanceConfig.isConfigured)
    ? { kind: "binance", balance: yield* binance.BinanceAccountBalance.optionsConfig, prices: yield* binance.BinancePriceFeed.optionsConfig }
    : { kind: "paper", initialCash: yield* PaperBalance.initialCashConfig }
  return { store, bus, exchange }
})

/**
 * One line naming each choice (the database by its absolute path), secrets left out. An
 * adapter's own description of where it points is used once {@link config} (or {@link layer})
 * has loaded it.
 *
 * @example
 * describe(embedded) // "store=sqlite(/srv/app/data/portfolio.db) bus=memory balance=paper(10000) prices=ticks"
 */
export const describe = (choice: Choice): string =>
  [
    choice.store.kind === "sqlite"
      ? `store=sqlite(${resolve(choice.store.options.path)})`
      : choice.store.kind === "postgres"
      ? `store=postgres(${loaded.postgres?.PostgresDatabase.describe(choice.store.options) ?? "not loaded"})`
      : "store=memory",
    choice.bus.kind === "redis" ? `bus=redis(${loaded.redis?.RedisEventBus.describeEndpoint(choice.bus.options) ?? "not loaded"})` : "bus=memory",
    choice.exchange.kind === "binance"
      ? `balance=binance(${choice.exchange.balance.restUrl ?? loaded.binance?.BinanceConfig.DEFAULT_REST_URL ?? "default"}) prices=binance(${choice.exchange.prices.wsUrl ?? loaded.binance?.BinanceConfig.DEFAULT_WS_URL ?? "default"})`
      : `balance=paper(${choice.exchange.initialCash}) prices=ticks`
  ].join(" ")

/**
 * Entries the in-process bus keeps per event type. Nothing outside the process reads it, and
 * what the service publishes there (a snapshot of every position, on every trade event) would
 * otherwise pile up: the default of 10 000 entries of a 1 000-position snapshot is gigabytes.
 */
export const IN_PROCESS_RETENTION = 4

/** The five ports the service needs. */
export type Ports = TradeStore | EquityHistory | EventBus | AccountBalance | PriceFeed

/** What building the ports can fail with. */
export type AdapterError = SqliteDatabase.SqliteDatabaseError | PostgresDatabase.PostgresDatabaseError | BusError

/** The layer an adapter module makes, the module imported when the layer is built. */
const lazily = <K extends keyof typeof importers, A, ROut, E>(
  name: K,
  make: (module: NonNullable<Loaded[K]>, options: A) => Layer.Layer<ROut, E>,
  options: A
): Layer.Layer<ROut, E> => Layer.unwrapEffect(Effect.map(load(name), (module) => make(module, options)))

/** The layer of the chosen adapters. */
export const layer = (choice: Choice): Layer.Layer<Ports, AdapterError> => {
  const store: Layer.Layer<TradeStore | EquityHistory, SqliteDatabase.SqliteDatabaseError | PostgresDatabase.PostgresDatabaseError> =
    choice.store.kind === "sqlite"
      ? SqliteStore.layer(choice.store.options)
      : choice.store.kind === "postgres"
      ? lazily("postgres", (m, options) => m.PostgresStore.layer(options), choice.store.options)
      : Layer.merge(MemoryTradeStore.layer, MemoryEquityHistory.layer)
  const bus: Layer.Layer<EventBus, BusError> =
    choice.bus.kind === "redis"
      ? lazily("redis", (m, options) => m.RedisEventBus.layer(options), choice.bus.options)
      : MemoryEventBus.layerWith({ retention: IN_PROCESS_RETENTION })
  const exchange: Layer.Layer<AccountBalance | PriceFeed> =
    choice.exchange.kind === "binance"
      ? lazily("binance", (m, exchange) => Layer.merge(m.BinanceAccountBalance.layer(exchange.balance), m.BinancePriceFeed.layer(exchange.prices)), choice.exchange)
      : // Without an exchange, prices arrive as market.tick events, not through this feed: it never
        // sees them, so it must not call them stale.
        Layer.merge(PaperBalance.layer(choice.exchange.initialCash), MemoryPriceFeed.layerWith({ staleAfter: Duration.infinity }))
  return Layer.mergeAll(store, bus, exchange)
}

/** The adapters chosen by the environment. */
export const layerConfig: Layer.Layer<Ports, AdapterError | ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(config, layer)
)

