/**
 * The in-process event bus: the embedded default when no Redis is configured, and the bus of
 * core tests. It keeps the semantics of the Redis bus (DESIGN.md §5) for one consumer group:
 * each entry goes to one subscriber of its type; a subscription receives the entries of all
 * its types in the order they were published, in chunks of what was waiting (batches of at
 * most `batchSize`); an entry neither acknowledged nor
 * dead-lettered when its subscriber's stream ends is delivered again to the next subscriber
 * with a higher `deliveryCount`; dead-lettered entries are kept with `error`, `failed_at` and
 * `original_id`. Like a trimmed Redis stream, each type keeps at most `retention` entries
 * (published, waiting and dead-lettered), the oldest dropped first.
 *
 * @example
 * const program = Effect.gen(function*() {
 *   const bus = yield* EventBus
 *   yield* bus.publish(encodeIncoming("market.tick", { symbol: "BTCUSDT", price: 42000 }))
 *   const ticks = yield* MemoryEventBus.published("market.tick")
 * }).pipe(Effect.provide(MemoryEventBus.layer))
 *
 * @since 0.1.0
 */
import { Chunk, Clock, Context, Deferred, Effect, FiberId, Layer, Stream } from "effect"
import { EventBus, type Delivery, type EventBusService } from "../ports/EventBus.js"
import type { Envelope } from "../schema/Envelope.js"
import { formatEventTime } from "../schema/Primitives.js"

/** An entry as the bus stores it: its id, its type and its fields, exactly as a stream holds them. */
export interface Entry {
  readonly id: string
  readonly eventType: string
  readonly fields: Readonly<Record<string, string>>
}

/** What happened to the entries of one event type since the bus was made. */
export interface Counters {
  readonly published: number
  readonly delivered: number
  readonly redelivered: number
  readonly acked: number
  readonly deadLettered: number
}

/** Reads what went through the bus: for tests, and for the health of the embedded service. */
export interface InspectorService {
  /** Entries published, oldest first; every type when `eventType` is omitted. */
  readonly published: (eventType?: string) => Effect.Effect<ReadonlyArray<Entry>>
  /** Dead-lettered entries (original fields plus `error`, `failed_at`, `original_id`), oldest first. */
  readonly deadLetters: (eventType?: string) => Effect.Effect<ReadonlyArray<Entry>>
  /** Counters per event type. */
  readonly counters: Effect.Effect<Readonly<Record<string, Counters>>>
}

/** The inspector of the bus that {@link layer} provides beside `EventBus`. */
export class Inspector extends Context.Tag("@portfolio/core/MemoryEventBus/Inspector")<Inspector, InspectorService>() {}

/** The entries published on the bus (of one type, or all). */
export const published = (eventType?: string): Effect.Effect<ReadonlyArray<Entry>, never, Inspector> =>
  Effect.flatMap(Inspector, (inspector) => inspector.published(eventType))

/** The entries dead-lettered on the bus (of one type, or all), with `error`, `failed_at`, `original_id`. */
export const deadLetters = (eventType?: string): Effect.Effect<ReadonlyArray<Entry>, never, Inspector> =>
  Effect.flatMap(Inspector, (inspector) => inspector.deadLetters(eventType))

/** The bus's counters per event type. */
export const counters: Effect.Effect<Readonly<Record<string, Counters>>, never, Inspector> = Effect.flatMap(
  Inspector,
  (inspector) => inspector.counters
)

/** Options of {@link make}. */
export interface Options {
  /** Entries kept per event type, like a stream's `MAXLEN` (default 10 000). */
  readonly retention?: number
  /** Most entries in one delivered chunk (default 1 000). */
  readonly batchSize?: number
}

interface Pending {
  readonly entry: Entry
  /** Publication order across every type. */
  readonly seq: number
  deliveries: number
  settled: boolean
  holder: Map<string, Pending> | undefined
}

interface Topic {
  /** Entries waiting for a subscriber, in publication order. */
  readonly waiting: Array<Pending>
  readonly published: Array<Entry>
  readonly deadLetters: Array<Entry>
  readonly counters: { -readonly [K in keyof Counters]: Counters[K] }
}

/** Drops the oldest entries once a log is a tenth over its bound (amortised, like `MAXLEN ~`). */
const trim = (log: Array<Entry>, retention: number): void => {
  if (log.length > retention + Math.ceil(retention / 10)) log.splice(0, log.length - retention)
}

/** The fields of an envelope as a stream entry holds them; `now` fills a missing timestamp. */
const fieldsOf = (envelope: Envelope, now: number): Record<string, string> => {
  const fields: Record<string, string> = {
    event_type: envelope.event_type,
    payload: envelope.payload,
    trace_id: envelope.trace_id,
    timestamp: envelope.timestamp !== undefined && envelope.timestamp !== "" ? envelope.timestamp : formatEventTime(now),
    source: envelope.source
  }
  if (envelope.correlation_id !== undefined) fields["correlation_id"] = envelope.correlation_id
  return fields
}

/** Makes an in-process bus and its inspector. */
export const make = (
  options: Options = {}
): Effect.Effect<{ readonly bus: EventBusService; readonly inspector: InspectorService }> =>
  Effect.sync(() => {
    const retention = options.retention ?? 10_000
    const topics = new Map<string, Topic>()
    let sequence = 0

    const batchSize = options.batchSize ?? 1_000
    // Woken (and replaced) whenever an entry becomes available to subscribers.
    let available = Deferred.unsafeMake<void>(FiberId.none)
    const signal = () => {
      const woken = available
      available = Deferred.unsafeMake<void>(FiberId.none)
      Deferred.unsafeDone(woken, Effect.void)
    }

    const topicOf = (eventType: string): Topic => {
      let topic = topics.get(eventType)
      if (topic === undefined) {
        topic = {
          waiting: [],
          published: [],
          deadLetters: [],
          counters: { published: 0, delivered: 0, redelivered: 0, acked: 0, deadLettered: 0 }
        }
        topics.set(eventType, topic)
      }
      return topic
    }

    /** Puts an entry (back) among the waiting ones of its type, in publication order. */
    const enqueue = (topic: Topic, pending: Pending) => {
      const { waiting } = topic
      let i = waiting.length
      while (i > 0 && waiting[i - 1]!.seq > pending.seq) i--
      waiting.splice(i, 0, pending)
      // Like a stream trimmed to its MAXLEN ~: a tenth past the bound, the oldest waiting entries
      // are lost (amortised: trimming one entry per publication shifted 10 000 each time).
      if (waiting.length > retention + Math.ceil(retention / 10)) waiting.splice(0, waiting.length - retention)
    }

    /** Settles an entry once, wherever it is: later acks of it (or of a redelivery) do nothing. */
    const settle = (pending: Pending): boolean => {
      if (pending.settled) return false
      pending.settled = true
      pending.holder?.delete(pending.entry.id)
      pending.holder = undefined
      return true
    }

    const deliveryOf = (pending: Pending, topic: Topic): Delivery => ({
      id: pending.entry.id,
      eventType: pending.entry.eventType,
      fields: pending.entry.fields,
      deliveryCount: pending.deliveries,
      ack: Effect.sync(() => {
        if (settle(pending)) topic.counters.acked++
      }),
      deadLetter: (error) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            if (!settle(pending)) return
            const { entry } = pending
            topic.deadLetters.push({
              id: String(++sequence),
              eventType: entry.eventType,
              fields: { ...entry.fields, error: error.reason, failed_at: formatEventTime(now), original_id: entry.id }
            })
            trim(topic.deadLetters, retention)
            topic.counters.deadLettered++
          })
        )
    })

    const publish = (envelope: Envelope) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const topic = topicOf(envelope.event_type)
        const seq = ++sequence
        const entry: Entry = { id: String(seq), eventType: envelope.event_type, fields: fieldsOf(envelope, now) }
        topic.published.push(entry)
        trim(topic.published, retention)
        topic.counters.published++
        enqueue(topic, { entry, seq, deliveries: 0, settled: false, holder: undefined })
        signal()
      })

    const subscribe = (eventTypes: ReadonlyArray<string>): Stream.Stream<Delivery> =>
      Stream.unwrapScoped(
        Effect.gen(function*() {
          const inFlight = new Map<string, Pending>()
          let closed = false
          yield* Effect.addFinalizer(() =>
            Effect.suspend(() => {
              closed = true
              const unsettled = [...inFlight.values()]
              inFlight.clear()
              for (const pending of unsettled) {
                pending.holder = undefined
                enqueue(topicOf(pending.entry.eventType), pending)
              }
              if (unsettled.length > 0) signal()
              return Effect.void
            })
          )
          const subscribed = [...new Set(eventTypes)].map(topicOf)
          /** Takes what waits on the subscribed types, oldest first across them, as one batch. */
          const takeBatch = (): Array<Delivery> => {
            const batch: Array<Delivery> = []
            while (batch.length < batchSize) {
              let next: Topic | undefined
              for (const topic of subscribed) {
                const head = topic.waiting[0]
                if (head !== undefined && (next === undefined || head.seq < next.waiting[0]!.seq)) next = topic
              }
              if (next === undefined) break
              const pending = next.waiting.shift()!
              if (pending.settled) continue
              pending.deliveries++
              pending.holder = inFlight
              inFlight.set(pending.entry.id, pending)
              next.counters.delivered++
              if (pending.deliveries > 1) next.counters.redelivered++
              batch.push(deliveryOf(pending, next))
            }
            return batch
          }
          // Taking entries and recording them as in flight happen together (synchronously), so
          // an entry is never lost between the bus and the subscriber: the finalizer puts back
          // what is in flight.
          const pull: Effect.Effect<Chunk.Chunk<Delivery>> = Effect.suspend(() => {
            if (closed) return Effect.never
            const wake = available
            const batch = takeBatch()
            return batch.length > 0 ? Effect.succeed(Chunk.unsafeFromArray(batch)) : Effect.zipRight(Deferred.await(wake), pull)
          })
          return Stream.repeatEffectChunk(pull)
        })
      )

    const select = (log: "published" | "deadLetters", eventType?: string) =>
      Effect.sync((): ReadonlyArray<Entry> => {
        if (eventType !== undefined) return [...(topics.get(eventType)?.[log] ?? [])]
        return [...topics.values()].flatMap((topic) => topic[log]).sort((a, b) => Number(a.id) - Number(b.id))
      })

    const counters = Effect.sync(() =>
      Object.fromEntries([...topics].map(([type, topic]) => [type, { ...topic.counters }]))
    )

    const bus: EventBusService = {
      publish,
      subscribe,
      ackAll: (deliveries) => Effect.forEach(deliveries, (d) => d.ack, { discard: true }),
      health: Effect.map(counters, (perType) => ({
        status: "ok" as const,
        required: true,
        message: "in-process event bus",
        details: { kind: "memory", counters: perType }
      }))
    }
    const inspector: InspectorService = {
      published: (eventType) => select("published", eventType),
      deadLetters: (eventType) => select("deadLetters", eventType),
      counters
    }
    return { bus, inspector }
  })

/** The in-process bus as `EventBus`, with its {@link Inspector}. */
export const layerWith = (options: Options = {}): Layer.Layer<EventBus | Inspector> =>
  Layer.effectContext(
    Effect.map(make(options), ({ bus, inspector }) => Context.make(EventBus, bus).pipe(Context.add(Inspector, inspector)))
  )

/** The in-process bus with default retention (10 000 entries per type). */
export const layer: Layer.Layer<EventBus | Inspector> = layerWith()
