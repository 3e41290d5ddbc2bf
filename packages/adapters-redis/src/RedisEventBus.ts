/**
 * The `EventBus` on Redis Streams, wire-compatible with the trading system's Python services
 * (DESIGN.md §5): one stream per event type (`quantum:stream:<event_type>`), one consumer
 * group per type (`quantum:group:<service>:<event_type>`; for an account other than `default`,
 * `quantum:group:<service>@<account>:<event_type>`), a stable consumer name per instance
 * (`<service>_<8 hex>` from host and account), entries acknowledged only when the consumer
 * says so, invalid entries parked in `quantum:dlq:<event_type>`.
 *
 * A subscription reads all its types on one connection and delivers them **in one order**:
 * merged by entry id (on equal milliseconds opened < executed < closed < tick < the rest), this
 * consumer's pending entries first, entries of dead consumers reclaimed (`XAUTOCLAIM`) into
 * the same merge. Each chunk of its stream is one round's batch: settle it with `ackAll`.
 * Connections reconnect with backoff and close with the layer's scope.
 *
 * @example
 * const BusLive = RedisEventBus.layer({ host: "127.0.0.1", serviceName: "portfolio_intelligence" })
 * // or, from PORTFOLIO_REDIS_URL / PORTFOLIO_REDIS_HOST / … :
 * const BusFromEnv = RedisEventBus.layerConfig
 *
 * @since 0.1.0
 */
import { BusError, type Delivery, type Envelope, EventBus, type EventBusService, formatEventTime, Metrics } from "@portfolio/core"
import { Clock, type ConfigError, Deferred, Effect, Layer, Schedule, type Scope, Stream } from "effect"
import * as Connection from "./internal/connection.js"
import { Ledger } from "./internal/ledger.js"
import * as Reader from "./internal/reader.js"
import * as Settings from "./internal/settings.js"
import * as Wire from "./internal/wire.js"
import * as RedisOptions from "./RedisOptions.js"

/** Options of {@link layer}; see `RedisOptions.Options`. */
export type Options = RedisOptions.Options

/** What happened to the entries of one event type on this bus instance (in health `details.counters`). */
export type { Counters } from "./internal/ledger.js"

/** The options from the environment; see `RedisOptions.config`. */
export const config = RedisOptions.config

/**
 * Where the options point, as logs and health show it: `redis://host:port/db` (or `rediss://`),
 * never with credentials; a description of the problem when they point nowhere valid.
 *
 * @example
 * describeEndpoint({ host: "cache", db: 2 }) // "redis://cache:6379/2"
 */
export const describeEndpoint = (options: Options): string => {
  const endpoint = Settings.endpointOf(options)
  return typeof endpoint === "string" ? `invalid Redis settings: ${endpoint}` : Connection.describeEndpoint(endpoint)
}

/** How long health waits for the consumer lag before leaving it out. */
const lagPatience = "500 millis"

/** How often the consumer lag is read for the metrics. */
const lagEvery = "5 seconds"

/** Makes a bus for the life of the scope. */
export const make = (options: Options = {}): Effect.Effect<EventBusService, BusError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* Settings.resolve(options)
    const { where } = settings
    const { redis: commands, state } = yield* Connection.open(settings.endpoint, `${settings.consumerName}:commands`, {
      role: "commands"
    })
    yield* Effect.logInfo(`redis event bus: ${where} as consumer ${settings.consumerName}`)
    // Closing the bus ends its subscriptions, which close their reading connections.
    const closed = yield* Deferred.make<void>()
    yield* Effect.addFinalizer(() => Deferred.succeed(closed, undefined))
    const ledger = new Ledger(settings, commands)
    /** Consumer-name slots of live subscriptions: 1 is the stable name, n > 1 is `<name>-<n>`. */
    const slots = new Set<number>()
    const subscribedTypes = new Set<string>()

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
        )).pipe(Effect.map(() => void ledger.countersOf(envelope.event_type).published++))

    const subscribe = (eventTypes: ReadonlyArray<string>): Stream.Stream<Delivery, BusError> =>
      Stream.unwrapScoped(
        Effect.gen(function*() {
          const holder = {}
          // Each live subscription reads as its own consumer: two sharing a name would each
          // re-read the other's pending entries. The first takes the stable name (so a restart
          // resumes its pending entries); concurrent ones take `<name>-2`, `<name>-3`, …
          const slot = yield* Effect.acquireRelease(
            Effect.sync(() => {
              let n = 1
              while (slots.has(n)) n++
              slots.add(n)
              return n
            }),
            (n) =>
              Effect.sync(() => {
                slots.delete(n)
                ledger.release(holder)
              })
          )
          for (const type of eventTypes) subscribedTypes.add(type)
          return Reader.deliveries({
            settings,
            consumerName: slot === 1 ? settings.consumerName : `${settings.consumerName}-${slot}`,
            eventTypes,
            deliver: (entry) => ledger.deliver(holder, entry),
            isInFlight: (eventType, id) => ledger.isInFlight(eventType, id),
            claimed: (eventType, ids) => ledger.claimed(eventType, ids)
          }).pipe(Stream.interruptWhen(Deferred.await(closed)))
        })
      )

    /** The group lag (entries not yet delivered to the group) per subscribed type, when Redis answers at once. */
    const lag = Effect.suspend(() => {
      const types = [...subscribedTypes]
      if (types.length === 0 || !state().ready) return Effect.succeed(undefined)
      return Connection.batch(commands, "lag", types.map((type): Connection.Command => ["xinfo", "GROUPS", Wire.streamKey(settings.streamPrefix, type)])).pipe(
        Effect.map((replies) =>
          Object.fromEntries(types.map((type, i) => {
            const group = Wire.groupName(settings.busName, type)
            const info = (replies[i] as Array<Array<unknown>> | undefined)?.map(Wire.toFieldMap).find((g) => g.get("name") === group)
            const value = info?.get("lag")
            return [type, value === undefined || value === null ? null : Number(value)]
          }))
        ),
        Effect.timeout(lagPatience),
        Effect.option,
        Effect.map((found) => (found._tag === "Some" ? found.value : undefined))
      )
    })

    // The lag as /metrics shows it (`portfolio_consumer_lag`), read again every few seconds.
    yield* lag.pipe(
      Effect.tap((byType) => Effect.sync(() => byType !== undefined && Metrics.recordConsumerLag(byType))),
      Effect.repeat(Schedule.spaced(lagEvery)),
      Effect.forkScoped
    )

    const health = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const { lastError, ready, since } = state()
      const seconds = ((now - since) / 1000).toFixed(1)
      const down = !ready && now - since >= settings.downAfterMillis
      const cause = lastError === undefined ? "" : `: ${lastError}`
      const lagByType = yield* lag
      return {
        status: ready ? "ok" as const : down ? "down" as const : "degraded" as const,
        required: true,
        message: ready
          ? `connected to ${where}`
          : `${down ? "disconnected from" : "reconnecting to"} ${where} for ${seconds} s${cause}`,
        details: {
          redis: where,
          service_name: settings.serviceName,
          account: settings.accountId,
          group_prefix: Wire.groupName(settings.busName, ""),
          consumer: settings.consumerName,
          stream_prefix: settings.streamPrefix,
          dead_letter_prefix: settings.deadLetterPrefix,
          counters: ledger.snapshot(),
          ...(lagByType === undefined ? {} : { lag: lagByType })
        }
      }
    })

    return { publish, subscribe, ackAll: (deliveries) => ledger.ackAll(deliveries), health }
  })

/** The bus as `EventBus`, connected for the life of the layer. */
export const layer = (options: Options = {}): Layer.Layer<EventBus, BusError> => Layer.scoped(EventBus, make(options))

/** The bus configured from the environment (see `RedisOptions.config`). */
export const layerConfig: Layer.Layer<EventBus, BusError | ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(config, layer)
)
