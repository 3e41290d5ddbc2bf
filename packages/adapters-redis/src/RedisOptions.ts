/**
 * The options of the Redis event bus, and how they are read from the environment. Every option
 * has a default matching the Python services' layout (DESIGN.md §5).
 *
 * @example
 * const options: RedisOptions.Options = { host: "127.0.0.1", accountId: "main" }
 * const fromEnv = yield* RedisOptions.config // PORTFOLIO_REDIS_URL / PORTFOLIO_REDIS_HOST / …
 *
 * @since 0.1.0
 */
import { Account } from "@portfolio/core"
import { Config, ConfigError, Duration, Either, Option, type Redacted } from "effect"

/** Options of `RedisEventBus.layer`. */
export interface Options {
  /** `redis://[user:password@]host[:port][/db]` (or `rediss://`); wins over host, port, password and db. */
  readonly url?: Redacted.Redacted<string> | undefined
  /** Default `localhost`. */
  readonly host?: string | undefined
  /** Default 6379. */
  readonly port?: number | undefined
  /** The password (`AUTH`), kept redacted; never logged nor shown in health. */
  readonly password?: Redacted.Redacted<string> | undefined
  /** Default 0. */
  readonly db?: number | undefined
  /**
   * Prefix of the stream of each event type (default `quantum:stream:`, the Python layout).
   * Another prefix per account partitions the streams: each account's producers write to, and
   * its instance reads and publishes on, its own streams.
   */
  readonly streamPrefix?: string | undefined
  /** Prefix of the dead-letter stream of each event type (default `quantum:dlq:`); not the stream prefix. */
  readonly deadLetterPrefix?: string | undefined
  /** Approximate length streams are trimmed to on publish, `MAXLEN ~ N` (default 10 000). */
  readonly maxLen?: number | undefined
  /** This service's name, in its consumer groups and consumer names (default `portfolio_intelligence`). */
  readonly serviceName?: string | undefined
  /**
   * The account this instance serves (default `default`). It scopes the consumer groups:
   * `quantum:group:<service>@<account>:<type>` (`Account.busName`; the default account's are
   * the Python names, `quantum:group:<service>:<type>`), so instances of different accounts
   * reading the same streams never split their entries between them. With the host name it
   * makes the stable consumer name `<service>_<8 hex>`, so a restarted instance resumes its own
   * pending entries.
   */
  readonly accountId?: string | undefined
  /** The consumer name, instead of the one made from host and account. */
  readonly consumerName?: string | undefined
  /**
   * Entries read per stream per round (default 500): the most a stream adds to one delivered
   * chunk, and what a consumer that fell behind catches up by per round trip.
   */
  readonly batchSize?: number | undefined
  /** How long one read blocks waiting for new entries when every stream is caught up (default 1 s). */
  readonly block?: Duration.DurationInput | undefined
  /** How long an entry stays pending with another consumer before this one takes it over (default 60 s). */
  readonly claimIdle?: Duration.DurationInput | undefined
  /** How often to look for such entries (default half of `claimIdle`). */
  readonly claimInterval?: Duration.DurationInput | undefined
  /** How long disconnected before health says `down` rather than `degraded` (default 30 s). */
  readonly downAfter?: Duration.DurationInput | undefined
}

/** A stream-name prefix: 1 to 200 characters, none of them blank or control characters. */
const prefixPattern = /^[^\s\p{Cc}]{1,200}$/u

const prefix = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.validate({ message: "must be 1 to 200 characters without spaces", validation: (p) => prefixPattern.test(p) }),
    Config.withDefault(fallback)
  )

const positiveInteger = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be a positive integer", validation: (n) => n > 0 }),
    Config.withDefault(fallback)
  )

/**
 * The options from the environment: `PORTFOLIO_REDIS_URL` (secret) or `PORTFOLIO_REDIS_HOST`,
 * `_PORT`, `_PASSWORD` (secret), `_DB`; `PORTFOLIO_STREAM_PREFIX`, `PORTFOLIO_DEAD_LETTER_PREFIX`
 * (the two must differ), `PORTFOLIO_STREAM_MAXLEN`,
 * `PORTFOLIO_SERVICE_NAME`, `PORTFOLIO_ACCOUNT_ID`, `PORTFOLIO_CONSUMER_NAME`,
 * `PORTFOLIO_REDIS_BATCH_SIZE`, `PORTFOLIO_REDIS_BLOCK_MS`, `PORTFOLIO_REDIS_CLAIM_IDLE_MS`,
 * `PORTFOLIO_REDIS_DOWN_AFTER_MS`. A bad value fails naming its variable.
 */
export const config: Config.Config<Options> = Config.all({
  url: Config.option(Config.redacted("PORTFOLIO_REDIS_URL")),
  host: Config.string("PORTFOLIO_REDIS_HOST").pipe(Config.withDefault("localhost")),
  port: Config.port("PORTFOLIO_REDIS_PORT").pipe(Config.withDefault(6379)),
  password: Config.option(Config.redacted("PORTFOLIO_REDIS_PASSWORD")),
  db: Config.integer("PORTFOLIO_REDIS_DB").pipe(
    Config.validate({ message: "must be a non-negative integer", validation: (n) => n >= 0 }),
    Config.withDefault(0)
  ),
  streamPrefix: prefix("PORTFOLIO_STREAM_PREFIX", "quantum:stream:"),
  deadLetterPrefix: prefix("PORTFOLIO_DEAD_LETTER_PREFIX", "quantum:dlq:"),
  maxLen: positiveInteger("PORTFOLIO_STREAM_MAXLEN", 10_000),
  serviceName: Config.string("PORTFOLIO_SERVICE_NAME").pipe(Config.withDefault("portfolio_intelligence")),
  accountId: Account.accountIdConfig,
  consumerName: Config.option(Config.string("PORTFOLIO_CONSUMER_NAME")),
  batchSize: positiveInteger("PORTFOLIO_REDIS_BATCH_SIZE", 500),
  blockMillis: positiveInteger("PORTFOLIO_REDIS_BLOCK_MS", 1_000),
  claimIdleMillis: positiveInteger("PORTFOLIO_REDIS_CLAIM_IDLE_MS", 60_000),
  downAfterMillis: positiveInteger("PORTFOLIO_REDIS_DOWN_AFTER_MS", 30_000)
}).pipe(
  Config.mapOrFail((c) =>
    c.streamPrefix === c.deadLetterPrefix
      ? Either.left(ConfigError.InvalidData(["PORTFOLIO_DEAD_LETTER_PREFIX"], `must differ from PORTFOLIO_STREAM_PREFIX (both ${JSON.stringify(c.streamPrefix)}): dead letters would be read again`))
      : Either.right(c)
  ),
  Config.map(({ blockMillis, claimIdleMillis, consumerName, downAfterMillis, password, url, ...rest }): Options => ({
    ...rest,
    url: Option.getOrUndefined(url),
    password: Option.getOrUndefined(password),
    consumerName: Option.getOrUndefined(consumerName),
    block: Duration.millis(blockMillis),
    claimIdle: Duration.millis(claimIdleMillis),
    downAfter: Duration.millis(downAfterMillis)
  }))
)
