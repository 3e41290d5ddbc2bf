/**
 * The service's configuration (DESIGN.md §7): environment variables with the `PORTFOLIO_`
 * prefix, read through effect `Config`, with defaults, validated at start with an error that
 * names the variable.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `PORTFOLIO_SERVICE_NAME` | `portfolio_intelligence` | `source` of what we publish; consumer group name |
 * | `PORTFOLIO_ACCOUNT_ID` | `default` | the account this instance serves: another than `default` publishes as `<service>@<account>` (`Account.busName`) |
 * | `PORTFOLIO_SNAPSHOT_INTERVAL` | `10` | seconds between snapshots (or a duration: `500 millis`) |
 * | `PORTFOLIO_SNAPSHOT_THROTTLE_MS` | `100` | least time between snapshots published on lifecycle events (0: every event) |
 * | `PORTFOLIO_TIMEZONE` | `UTC` | IANA zone of the PnL windows and the daily drawdown |
 * | `PORTFOLIO_POSITION_SOURCE` | `trades` | `trades` or `fills` |
 * | `PORTFOLIO_POSITION_MODE` | `one-way` | `one-way` or `hedge` (fills mode) |
 * | `PORTFOLIO_DRAWDOWN_ALERT_PCT` | `5` | daily drawdown that raises `portfolio.drawdown_updated` |
 * | `PORTFOLIO_DRAWDOWN_HYSTERESIS_PCT` | `1` | the alert clears below threshold − this |
 * | `PORTFOLIO_SECTORS` | — | `SYMBOL=SECTOR` pairs, comma-separated, or a JSON object `{"BTCUSDT":"L1",…}` |
 * | `PORTFOLIO_CATEGORIES` | — | `SYMBOL=CORE\|EXPANSION\|MONITORING\|TOXIC` pairs, or a JSON object `{"BTCUSDT":"CORE",…}` |
 * | `PORTFOLIO_DEFAULT_CATEGORY` | `EXPANSION` | category of unlisted symbols (the original's) |
 * | `PORTFOLIO_REMEMBER_EVENT_IDS` | `100000` | processed ids kept in memory (the store keeps all) |
 * | `PORTFOLIO_ORPHAN_GRACE` | `300` | seconds a close waits parked for its trade's open (or a duration: `5 minutes`) |
 * | `PORTFOLIO_INGEST_MAX_ATTEMPTS` | `8` | attempts to commit an event before it is dead-lettered (transient store failures) |
 * | `PORTFOLIO_INGEST_RETRY_BASE_MS` | `50` | first retry delay; doubles each attempt (jittered), at most `PORTFOLIO_INGEST_RETRY_CAP_MS` |
 * | `PORTFOLIO_INGEST_RETRY_CAP_MS` | `2000` | longest retry delay |
 * | `PORTFOLIO_QUERY_CACHE_MS` | `1000` | longest time one valuation answers the queries while nothing changes (0: a new one per query) |
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Context, Duration, Either, Layer } from "effect"
import * as Calendar from "../domain/Calendar.js"
import * as Account from "./Account.js"
import type { Options } from "../domain/Portfolio.js"
import type { SymbolCategory } from "../schema/Primitives.js"

/** The service's settings. */
export interface PortfolioConfigShape {
  readonly serviceName: string
  /** The account this instance serves (`Account.accountIdConfig`); with `serviceName` it makes the `source` we publish. */
  readonly accountId: string
  readonly snapshotInterval: Duration.Duration
  /** Least time between two snapshots published on lifecycle events (0: one per event). */
  readonly lifecycleSnapshotThrottle: Duration.Duration
  readonly drawdownAlertPct: number
  readonly drawdownHysteresisPct: number
  /** Attempts to commit an event (transient store failures) before it is dead-lettered. */
  readonly ingestMaxAttempts: number
  /** First retry delay of a failed commit; doubles each attempt (jittered). */
  readonly ingestRetryBase: Duration.Duration
  /** Longest retry delay of a failed commit. */
  readonly ingestRetryCap: Duration.Duration
  /**
   * Longest time one valuation answers the queries (snapshot, pnl, exposure, drawdown,
   * positions) while the state, the cash and the day stay the same; zero builds one per query.
   */
  readonly queryCacheMaxAge: Duration.Duration
  readonly portfolio: Options
}

/** The defaults of the service's own settings (the portfolio's are `Portfolio.resolveOptions`'). */
export const defaults = {
  serviceName: "portfolio_intelligence",
  snapshotInterval: Duration.seconds(10),
  lifecycleSnapshotThrottle: Duration.millis(100),
  drawdownAlertPct: 5,
  drawdownHysteresisPct: 1,
  ingestMaxAttempts: 8,
  ingestRetryBase: Duration.millis(50),
  ingestRetryCap: Duration.seconds(2),
  queryCacheMaxAge: Duration.seconds(1),
  orphanGrace: Duration.minutes(5)
} as const

/** The service's settings as a context entry. */
export class PortfolioConfig extends Context.Tag("@portfolio/core/PortfolioConfig")<PortfolioConfig, PortfolioConfigShape>() {}

const categories: ReadonlyArray<SymbolCategory> = ["CORE", "EXPANSION", "MONITORING", "TOXIC"]

/**
 * `SYMBOL=VALUE` pairs separated by commas, or a JSON object `{"SYMBOL":"VALUE",…}` (DESIGN.md
 * §11's form); symbols upper-cased.
 */
const pairs = (name: string) =>
  Config.string(name).pipe(
    Config.withDefault(""),
    Config.mapOrFail((text) => {
      const out: Record<string, string> = {}
      if (text.trim().startsWith("{")) {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch (error) {
          return Either.left(ConfigError.InvalidData([name], `not a JSON object: ${(error as Error).message}`))
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
          return Either.left(ConfigError.InvalidData([name], "expected a JSON object of SYMBOL: VALUE"))
        }
        for (const [k, v] of Object.entries(parsed)) {
          if (k.trim() === "" || typeof v !== "string" || v.trim() === "") {
            return Either.left(ConfigError.InvalidData([name], `expected SYMBOL: "VALUE" strings, got ${JSON.stringify(k)}: ${JSON.stringify(v)}`))
          }
          out[k.trim().toUpperCase()] = v.trim()
        }
        return Either.right(out)
      }
      for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
        const [k, v, ...rest] = part.split("=").map((s) => s.trim())
        if (k === undefined || k === "" || v === undefined || v === "" || rest.length > 0) {
          return Either.left(ConfigError.InvalidData([name], `expected SYMBOL=VALUE pairs separated by commas, got ${JSON.stringify(part)}`))
        }
        out[k.toUpperCase()] = v
      }
      return Either.right(out)
    })
  )

const category = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((v) =>
      (categories as ReadonlyArray<string>).includes(v.toUpperCase())
        ? Either.right(v.toUpperCase() as SymbolCategory)
        : Either.left(ConfigError.InvalidData([name], `expected one of ${categories.join(", ")}, got ${JSON.stringify(v)}`))
    )
  )

/** A positive duration: seconds (`10`, `0.5`) or an effect duration (`500 millis`, `5 minutes`). */
const seconds = (name: string, fallback: Duration.Duration) =>
  Config.string(name).pipe(
    Config.withDefault(String(Duration.toSeconds(fallback))),
    Config.mapOrFail((raw) => {
      const n = Number(raw)
      if (raw.trim() !== "" && Number.isFinite(n)) {
        return n > 0
          ? Either.right(Duration.millis(Math.round(n * 1000)))
          : Either.left(ConfigError.InvalidData([name], `must be positive, got ${raw}`))
      }
      const d = Duration.decodeUnknown(raw)
      return d._tag === "Some" && Duration.toMillis(d.value) > 0
        ? Either.right(d.value)
        : Either.left(ConfigError.InvalidData([name], `expected seconds or a duration such as "500 millis", got ${JSON.stringify(raw)}`))
    })
  )

const millis = (name: string, fallback: Duration.Duration) =>
  Config.integer(name).pipe(
    Config.withDefault(Duration.toMillis(fallback)),
    Config.validate({ message: `${name} must be 1 or more`, validation: (n) => n >= 1 }),
    Config.map(Duration.millis)
  )

const percent = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be between 0 and 100`, validation: (n) => n >= 0 && n <= 100 })
  )

/** Reads and validates the configuration from the environment. */
export const config: Config.Config<PortfolioConfigShape> = Config.all({
  serviceName: Config.string("PORTFOLIO_SERVICE_NAME").pipe(Config.withDefault(defaults.serviceName)),
  accountId: Account.accountIdConfig,
  snapshotInterval: seconds("PORTFOLIO_SNAPSHOT_INTERVAL", defaults.snapshotInterval),
  orphanGrace: seconds("PORTFOLIO_ORPHAN_GRACE", defaults.orphanGrace),
  ingestMaxAttempts: Config.integer("PORTFOLIO_INGEST_MAX_ATTEMPTS").pipe(
    Config.withDefault(defaults.ingestMaxAttempts),
    Config.validate({ message: "PORTFOLIO_INGEST_MAX_ATTEMPTS must be 1 or more", validation: (n) => n >= 1 })
  ),
  ingestRetryBase: millis("PORTFOLIO_INGEST_RETRY_BASE_MS", defaults.ingestRetryBase),
  ingestRetryCap: millis("PORTFOLIO_INGEST_RETRY_CAP_MS", defaults.ingestRetryCap),
  queryCacheMaxAge: Config.integer("PORTFOLIO_QUERY_CACHE_MS").pipe(
    Config.withDefault(Duration.toMillis(defaults.queryCacheMaxAge)),
    Config.validate({ message: "PORTFOLIO_QUERY_CACHE_MS must be 0 or more", validation: (n) => n >= 0 }),
    Config.map(Duration.millis)
  ),
  lifecycleSnapshotThrottle: Config.integer("PORTFOLIO_SNAPSHOT_THROTTLE_MS").pipe(
    Config.withDefault(Duration.toMillis(defaults.lifecycleSnapshotThrottle)),
    Config.validate({ message: "PORTFOLIO_SNAPSHOT_THROTTLE_MS must be 0 or more", validation: (n) => n >= 0 }),
    Config.map(Duration.millis)
  ),
  drawdownAlertPct: percent("PORTFOLIO_DRAWDOWN_ALERT_PCT", defaults.drawdownAlertPct),
  drawdownHysteresisPct: percent("PORTFOLIO_DRAWDOWN_HYSTERESIS_PCT", defaults.drawdownHysteresisPct),
  timeZone: Config.string("PORTFOLIO_TIMEZONE").pipe(
    Config.withDefault("UTC"),
    Config.validate({ message: "PORTFOLIO_TIMEZONE must be an IANA time zone such as UTC or Europe/Oslo", validation: Calendar.isValidTimeZone })
  ),
  positionSource: Config.literal("trades", "fills")("PORTFOLIO_POSITION_SOURCE").pipe(Config.withDefault("trades" as const)),
  positionMode: Config.literal("one-way", "hedge")("PORTFOLIO_POSITION_MODE").pipe(Config.withDefault("one-way" as const)),
  sectors: pairs("PORTFOLIO_SECTORS"),
  categories: pairs("PORTFOLIO_CATEGORIES").pipe(
    Config.mapOrFail((m) => {
      for (const [k, v] of Object.entries(m)) {
        if (!(categories as ReadonlyArray<string>).includes(v.toUpperCase())) {
          return Either.left(ConfigError.InvalidData(["PORTFOLIO_CATEGORIES"], `${k}: expected one of ${categories.join(", ")}, got ${v}`))
        }
        m[k] = v.toUpperCase()
      }
      return Either.right(m as Record<string, SymbolCategory>)
    })
  ),
  defaultCategory: category("PORTFOLIO_DEFAULT_CATEGORY").pipe(Config.withDefault("EXPANSION" as const)),
  rememberKeys: Config.integer("PORTFOLIO_REMEMBER_EVENT_IDS").pipe(
    Config.withDefault(100_000),
    Config.validate({ message: "PORTFOLIO_REMEMBER_EVENT_IDS must be positive", validation: (n) => n > 0 })
  )
}).pipe(
  Config.map((c) => ({
    serviceName: c.serviceName,
    accountId: c.accountId,
    snapshotInterval: c.snapshotInterval,
    lifecycleSnapshotThrottle: c.lifecycleSnapshotThrottle,
    drawdownAlertPct: c.drawdownAlertPct,
    drawdownHysteresisPct: c.drawdownHysteresisPct,
    ingestMaxAttempts: c.ingestMaxAttempts,
    ingestRetryBase: c.ingestRetryBase,
    ingestRetryCap: c.ingestRetryCap,
    queryCacheMaxAge: c.queryCacheMaxAge,
    portfolio: {
      orphanGraceMs: Duration.toMillis(c.orphanGrace),
      timeZone: c.timeZone,
      positionSource: c.positionSource,
      positionMode: c.positionMode,
      sectors: c.sectors,
      categories: c.categories,
      defaultCategory: c.defaultCategory,
      rememberKeys: c.rememberKeys
    }
  }))
)

/** The configuration read from the environment (fails at start naming the bad variable). */
export const layerConfig: Layer.Layer<PortfolioConfig, ConfigError.ConfigError> = Layer.effect(PortfolioConfig, config)

/** A configuration given in code; unspecified fields take the defaults. */
export const layer = (settings: Partial<PortfolioConfigShape> = {}): Layer.Layer<PortfolioConfig> =>
  Layer.succeed(PortfolioConfig, {
    serviceName: settings.serviceName ?? defaults.serviceName,
    accountId: settings.accountId ?? Account.DEFAULT_ACCOUNT_ID,
    snapshotInterval: settings.snapshotInterval ?? defaults.snapshotInterval,
    lifecycleSnapshotThrottle: settings.lifecycleSnapshotThrottle ?? defaults.lifecycleSnapshotThrottle,
    drawdownAlertPct: settings.drawdownAlertPct ?? defaults.drawdownAlertPct,
    drawdownHysteresisPct: settings.drawdownHysteresisPct ?? defaults.drawdownHysteresisPct,
    ingestMaxAttempts: settings.ingestMaxAttempts ?? defaults.ingestMaxAttempts,
    ingestRetryBase: settings.ingestRetryBase ?? defaults.ingestRetryBase,
    ingestRetryCap: settings.ingestRetryCap ?? defaults.ingestRetryCap,
    queryCacheMaxAge: settings.queryCacheMaxAge ?? defaults.queryCacheMaxAge,
    portfolio: settings.portfolio ?? {}
  })
