/**
 * The `EventBus` on Redis Streams, wire-compatible with the trading system's Python services
 * (DESIGN.md §5): one stream per event type (`quantum:stream:<event_type>`), one consumer
 * group per type (`quantum:group:<service>:<event_type>`), entries acknowledged only when the
 * consumer says so, entries of dead consumers reclaimed (`XAUTOCLAIM`), invalid entries parked
 * in `quantum:dlq:<event_type>`. One connection carries commands; each subscribed type reads on
 * its own blocking connection. Connections reconnect with exponential backoff and close with
 * the layer's scope.
 *
 * @example
 * const BusLive = RedisEventBus.layer({ host: "127.0.0.1", serviceName: "portfolio_intelligence" })
 * // or, from PORTFOLIO_REDIS_URL / PORTFOLIO_REDIS_HOST / … :
 * const BusFromEnv = RedisEventBus.layerConfig
 *
 * @since 0.1.0
 */
import { BusError, EventBus, formatEventTime, type Delivery, type Envelope, type EventBusService } from "@portfolio/core"
import { Clock, Config, type ConfigError, Deferred, Duration, Effect, Layer, Option, type Redacted, type Scope, Stream } from "effect"
import { randomBytes } from "node:crypto"
import * as Connection from "./internal/connection.js"
import * as Reader from "./internal/reader.js"
import * as Settings from "./internal/settings.js"
import * as Wire from "./internal/wire.js"

/** Options of {@link layer}. Every one has a default matching the Python services. */
export interface Options {
  /** `redis://[user:password@]host[:port][/db]` (or `rediss://`); wins over host, port, password and db. */
  readonly url?: Redacted.Redacted<string> | undefined
  /** Default `localhost`. */
  readonly host?: string | undefined
  /** Default 6379. */
  readonly port?: number | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  /** Default 0. */
  readonly db?: number | undefined
  /** Prefix of the stream of each event type (default `quantum:stream:`). */
  readonly streamPrefix?: string | undefined
  /** Prefix of the dead-letter stream of each event type (default `quantum:dlq:`). */
  readonly deadLetterPrefix?: string | undefined
  /** Approximate length streams are trimmed to on publish, `MAXLEN ~ N` (default 10 000). */
  readonly maxLen?: number | undefined
  /** This service's name, in its consumer groups and consumer names (default `portfolio_intelligence`). */
  readonly serviceName?: string | undefined
  /** Entries read per `XREADGROUP` (default 100). */
  readonly batchSize?: number | undefined
  /** How long one read blocks waiting for new entries (default 1 s). */
  readonly block?: Duration.DurationInput | undefined
  /** How long an entry stays pending with another consumer before this one takes it over (default 60 s). */
  readonly claimIdle?: Duration.DurationInput | undefined
  /** How often to look for such entries (default half of `claimIdle`). */
  readonly claimInterval?: Duration.DurationInput | undefined
  /** How long disconnected before health says `down` rather than `degraded` (default 30 s). */
  readonly downAfter?: Duration.DurationInput | undefined
}

/** What happened to the entries of one event type on this bus instance (in health `details.counters`). */
export interface Counters {
  readonly published: number
  /** Handed to a subscription (read new, read again from the pending list, or reclaimed). */
  readonly delivered: number
  readonly acked: number
  readonly dead_lettered: number
  /** Taken over from a consumer that left them pending longer than `claimIdle`. */
  readonly reclaimed: number
}

type MutableCounters = { -readonly [K in keyof Counters]: Counters[K] }

/** The longest `error` text a dead letter carries (a reason can quote a huge field). */
const maxErrorChars = 4_096

/** Makes a bus for the life of the scope. */
export const make = (options: Options = {}): Effect.Effect<EventBusService, BusError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* Settings.resolve(options)
    const where = Connection.describeEndpoint(settings.endpoint)
    const { redis: commands, state } = yield* Connection.open(settings.endpoint, `${settings.consumerName}:commands`, {
      role: "commands"
    })
    yield* Effect.logInfo(`redis event bus: ${where} as consumer ${settings.consumerName}`)
    // Closing the bus ends its subscriptions, which close their reading connections.
    const closed = yield* Deferred.make<void>()
    yield* Effect.addFinalizer(() => Deferred.succeed(closed, undefined))
    const counters = new Map<string, MutableCounters>()
    const countersOf = (eventType: string): MutableCounters => {
      let c = counters.get(eventType)
      if (c === undefined) {
        c = { published: 0, delivered: 0, acked: 0, dead_lettered: 0, reclaimed: 0 }
        counters.set(eventType, c)
      }
      return c
    }
    // Entries handed to a subscription of this bus and not yet settled, by type and id, with
    // the subscription that holds them: a new subscription's read of pending entries skips them.
    const inFlight = new Map<string, object>()
    let baseNameInUse = false
    const flightKey = (eventType: string, id: string) => `${eventType}\n${id}`

    const deliver = (holder: object): Reader.ReaderContext["deliver"] => (eventType, entry, deliveryCount, reclaimed) => {
      const key = Wire.streamKey(settings.streamPrefix, eventType)
      const group = Wire.groupName(settings.serviceName, eventType)
      const inFlightKey = flightKey(eventType, entry.id)
      inFlight.set(inFlightKey, holder)
      const count = countersOf(eventType)
      count.delivered++
      if (reclaimed) count.reclaimed++
      const settled = Effect.sync(() => inFlight.delete(inFlightKey))
      const delivery: Delivery = {
        id: entry.id,
        eventType,
        fields: entry.fields,
        deliveryCount,
        ack: Connection.command("ack", () => commands.call("XACK", [key, group, entry.id])).pipe(
          Effect.map((acked) => {
            if (Number(acked) > 0) count.acked++
          }),
          Effect.ensuring(settled)
        ),
        deadLetter: (error) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const fields = Object.entries(entry.fields).filter(([name]) => !Wire.deadLetterFieldNames.has(name)).flat()
            const reason = error.reason.length > maxErrorChars ? `${error.reason.slice(0, maxErrorChars)}…` : error.reason
            fields.push("error", reason, "failed_at", formatEventTime(now), "original_id", entry.id)
            const dlq = Wire.streamKey(settings.deadLetterPrefix, eventType)
            return Connection.command("dead-letter", () =>
              commands.call("EVAL", [Wire.deadLetterScript, "2", key, dlq, group, entry.id, String(settings.maxLen), ...fields])
            )
          }).pipe(
            Effect.map((parked) => {
              if (Number(parked) > 0) count.dead_lettered++
            }),
            Effect.ensuring(settled)
          )
      }
      return delivery
    }

    const publish = (envelope: Envelope): Effect.Effect<void, BusError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Connection.command("publish", () =>
          commands.call("XADD", [
            Wire.streamKey(settings.streamPrefix, envelope.event_type),
            "MAXLEN",
            "~",
            String(settings.maxLen),
            "*",
            ...Wire.entryFields(envelope, formatEventTime(now))
          ])
        )).pipe(Effect.map(() => void countersOf(envelope.event_type).published++))

    const subscribe = (eventTypes: ReadonlyArray<string>): Stream.Stream<Delivery, BusError> =>
      Stream.unwrapScoped(
        Effect.gen(function*() {
          const holder = {}
          // Each live subscription reads as its own consumer: two subscriptions sharing a name
          // would each re-read the other's pending entries and deliver them twice. The first
          // takes the bus's name, so a subscription restarted after a failure resumes its own
          // pending entries; concurrent ones get a fresh `<service>_<8 hex>`.
          const ownsBaseName = !baseNameInUse
          baseNameInUse = true
          const consumerName = ownsBaseName ? settings.consumerName : `${settings.serviceName}_${randomBytes(4).toString("hex")}`
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              if (ownsBaseName) baseNameInUse = false
              for (const [key, owner] of inFlight) if (owner === holder) inFlight.delete(key)
            })
          )
          const context: Reader.ReaderContext = {
            settings: { ...settings, consumerName },
            deliver: deliver(holder),
            isInFlight: (eventType, id) => inFlight.has(flightKey(eventType, id))
          }
          return Stream.mergeAll(
            [...new Set(eventTypes)].map((eventType) => Reader.deliveries(context, eventType)),
            // Read only a few batches ahead of the consumer (the merge holds two): entries read
            // but not handled yet stay pending, and would be reclaimed if they waited too long.
            { concurrency: "unbounded", bufferSize: 2 }
          ).pipe(Stream.interruptWhen(Deferred.await(closed)))
        })
      )

    const health = Effect.map(Clock.currentTimeMillis, (now) => {
      const { ready, since, lastError } = state()
      const seconds = ((now - since) / 1000).toFixed(1)
      const down = !ready && now - since >= settings.downAfterMillis
      const cause = lastError === undefined ? "" : `: ${lastError}`
      return {
        status: ready ? "ok" as const : down ? "down" as const : "degraded" as const,
        required: true,
        message: ready
          ? `connected to ${where}`
          : `${down ? "disconnected from" : "reconnecting to"} ${where} for ${seconds} s${cause}`,
        details: {
          redis: where,
          service_name: settings.serviceName,
          consumer: settings.consumerName,
          stream_prefix: settings.streamPrefix,
          counters: Object.fromEntries([...counters].map(([type, c]) => [type, { ...c }]))
        }
      }
    })

    return { publish, subscribe, health }
  })

/** The bus as `EventBus`, connected for the life of the layer. */
export const layer = (options: Options = {}): Layer.Layer<EventBus, BusError> => Layer.scoped(EventBus, make(options))

const positiveInteger = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be a positive integer", validation: (n) => n > 0 }),
    Config.withDefault(fallback)
  )

/**
 * The options from the environment: `PORTFOLIO_REDIS_URL` (secret) or `PORTFOLIO_REDIS_HOST`,
 * `_PORT`, `_PASSWORD` (secret), `_DB`; `PORTFOLIO_STREAM_PREFIX`, `PORTFOLIO_STREAM_MAXLEN`,
 * `PORTFOLIO_SERVICE_NAME`, `PORTFOLIO_REDIS_BATCH_SIZE`, `PORTFOLIO_REDIS_BLOCK_MS`,
 * `PORTFOLIO_REDIS_CLAIM_IDLE_MS`, `PORTFOLIO_REDIS_DOWN_AFTER_MS`.
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
  streamPrefix: Config.string("PORTFOLIO_STREAM_PREFIX").pipe(Config.withDefault("quantum:stream:")),
  maxLen: positiveInteger("PORTFOLIO_STREAM_MAXLEN", 10_000),
  serviceName: Config.string("PORTFOLIO_SERVICE_NAME").pipe(Config.withDefault("portfolio_intelligence")),
  batchSize: positiveInteger("PORTFOLIO_REDIS_BATCH_SIZE", 100),
  blockMillis: positiveInteger("PORTFOLIO_REDIS_BLOCK_MS", 1_000),
  claimIdleMillis: positiveInteger("PORTFOLIO_REDIS_CLAIM_IDLE_MS", 60_000),
  downAfterMillis: positiveInteger("PORTFOLIO_REDIS_DOWN_AFTER_MS", 30_000)
}).pipe(
  Config.map(({ blockMillis, claimIdleMillis, downAfterMillis, password, url, ...rest }): Options => ({
    ...rest,
    url: Option.getOrUndefined(url),
    password: Option.getOrUndefined(password),
    block: Duration.millis(blockMillis),
    claimIdle: Duration.millis(claimIdleMillis),
    downAfter: Duration.millis(downAfterMillis)
  }))
)

/** The bus configured from the environment (see {@link config}). */
export const layerConfig: Layer.Layer<EventBus, BusError | ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(config, layer)
)
