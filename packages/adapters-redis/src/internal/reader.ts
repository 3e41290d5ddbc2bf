/**
 * The ordered reader of one subscription, on its own connection (DESIGN.md §5). Each round is
 * one `MULTI … EXEC`: the server `TIME`, then for every stream with nothing buffered an
 * `XREADGROUP … COUNT n` (this consumer's pending entries from the lane's cursor, with their
 * delivery counts from `XPENDING`, or new entries with `>` and the stream's last id from
 * `XREVRANGE`). The replies feed the k-way merge (`merge.ts`), and what it hands out is one
 * chunk. When every stream is read to its end it blocks in `XREAD BLOCK` from the last ids
 * seen, so nothing written after the round is missed. Every `claimInterval` it takes over
 * (`XAUTOCLAIM … JUSTID`) entries other consumers left idle longer than `claimIdle` and reads
 * their streams again from this consumer's pending entries, so they join the merge.
 *
 * It never fails: on an error, or when its connection was reset under it, it logs, backs off
 * (exponential with jitter, at most 5 s) and starts over — pending entries first, skipping the
 * ones a subscription is still handling.
 */
import { BusError, type Delivery } from "@portfolio/core"
import { Chunk, Clock, Effect, Schedule, Stream } from "effect"
import * as Connection from "./connection.js"
import { type Buffered, type Lane, OrderedMerge, parseId } from "./merge.js"
import type { Settings } from "./settings.js"
import * as Wire from "./wire.js"

/** What a reader needs from its bus. */
export interface ReaderContext {
  readonly settings: Settings
  /** The consumer this subscription reads as. */
  readonly consumerName: string
  readonly eventTypes: ReadonlyArray<string>
  /** Makes the delivery of an entry and records it as in flight. */
  readonly deliver: (entry: Buffered) => Delivery
  /** Whether the entry is being handled by a subscription of this bus right now. */
  readonly isInFlight: (eventType: string, id: string) => boolean
  /** Notes entries taken over from other consumers. */
  readonly claimed: (eventType: string, ids: ReadonlyArray<string>) => void
}

/** Backoff between attempts after a failure: 100 ms doubling, jittered, at most 5 s. */
export const backoff = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("5 seconds"))
)

/** How long past its due time a reply may be late before the connection is presumed dead. */
const watchdogMillis = 10_000

/** The deliveries of the context's types in merge order, one chunk per round, until the stream's scope closes. */
export const deliveries = (context: ReaderContext): Stream.Stream<Delivery, BusError> =>
  context.eventTypes.length === 0 ? Stream.never : Stream.unwrapScoped(
    Effect.map(
      Connection.open(context.settings.endpoint, `${context.consumerName}:reader`, { role: "reader" }),
      // One round read ahead while the consumer handles the last one: its entries are pending
      // (and in flight) meanwhile, and come back pending first if the subscription ends.
      (connection) => Stream.repeatEffectChunk(makeReader(context, connection)).pipe(Stream.bufferChunks({ capacity: 1 }))
    )
  )

const makeReader = (context: ReaderContext, connection: Connection.Connection): Effect.Effect<Chunk.Chunk<Delivery>, BusError> => {
  const { consumerName: consumer, settings } = context
  const { redis } = connection
  const batch = String(settings.batchSize)
  const merge = new OrderedMerge([...new Set(context.eventTypes)])
  const names = new Map(merge.lanes.map((lane) => [lane, {
    key: Wire.streamKey(settings.streamPrefix, lane.eventType),
    group: Wire.groupName(settings.busName, lane.eventType)
  }]))
  const keyOf = (lane: Lane) => names.get(lane)!.key
  const groupOf = (lane: Lane) => names.get(lane)!.group
  const what = merge.lanes.map((lane) => lane.eventType).join(", ")
  /** The reader's state beside the merge: the connection generation it trusts, the next claim, failures in a row. */
  const session = { generation: undefined as number | undefined, nextClaimAt: 0, failures: 0 }

  /** Fails when the connection closed since the session began: a reply may be from a resent command. */
  const trusted = <A>(effect: Effect.Effect<A, BusError>): Effect.Effect<A, BusError> =>
    Effect.flatMap(effect, (a) =>
      connection.state().generation === session.generation
        ? Effect.succeed(a)
        : Effect.fail(new BusError({ operation: "read", reason: "the connection was reset during a read", retryable: true })))

  const ensureGroups = Connection.batch(
    redis,
    "create groups",
    merge.lanes.map((lane): Connection.Command => ["xgroup", "CREATE", keyOf(lane), groupOf(lane), "0", "MKSTREAM"]),
    { tolerate: (error) => error.message.startsWith("BUSYGROUP"), watchdogMillis }
  )

  /** Starts (over): every stream from this consumer's pending entries. */
  const begin = Effect.suspend(() => {
    session.generation = connection.state().generation
    merge.restartAll()
    return trusted(ensureGroups)
  })

  const toBuffered = (lane: Lane, id: string, flat: ReadonlyArray<string>, deliveryCount: number): Buffered => {
    const { ms, seq } = parseId(id)
    return { eventType: lane.eventType, id, ms, seq, fields: Wire.toRecord(flat), deliveryCount }
  }

  /** Acknowledges pending entries whose fields were trimmed from the stream: nothing is left to deliver. */
  const dropTrimmed = (trimmed: ReadonlyArray<readonly [Lane, Array<string>]>) =>
    trimmed.length === 0 ? Effect.void : Connection.batch(
      redis,
      "ack trimmed",
      trimmed.map(([lane, ids]): Connection.Command => ["xack", keyOf(lane), groupOf(lane), ...ids])
    ).pipe(
      Effect.zipRight(Effect.forEach(trimmed, ([lane, ids]) =>
        Effect.logWarning(`redis event bus: ${ids.length} pending ${lane.eventType} entries were trimmed before delivery`), { discard: true }))
    )

  /** One round: reads every stream with nothing buffered, atomically, and feeds the merge. */
  const round = Effect.gen(function*() {
    const lanes = merge.toRead()
    const commands: Array<Connection.Command> = [["time"]]
    for (const lane of lanes) {
      const key = keyOf(lane)
      const group = groupOf(lane)
      commands.push(["xreadgroup", "GROUP", group, consumer, "COUNT", batch, "STREAMS", key, lane.cursor])
      commands.push(
        lane.cursor === ">"
          ? ["xrevrange", key, "+", "-", "COUNT", "1"]
          : ["xpending", key, group, lane.cursor === "0" ? "-" : `(${lane.cursor}`, "+", batch, consumer]
      )
    }
    const replies = yield* trusted(Connection.batch(redis, "read", commands, { atomic: true, watchdogMillis }))
    const [seconds, micros] = replies[0] as [string, string]
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
    const trimmed: Array<readonly [Lane, Array<string>]> = []
    lanes.forEach((lane, i) => {
      const read = Wire.entriesOf(replies[1 + 2 * i])
      const short = read.length < settings.batchSize
      const lastId = read.length === 0 ? undefined : read[read.length - 1]![0]
      const extra = replies[2 + 2 * i]
      const entries: Array<Buffered> = []
      if (lane.cursor === ">") {
        for (const [id, flat] of read) if (flat !== null) entries.push(toBuffered(lane, id, flat, 1))
        // The stream's last id at the round ("0-0" while it is empty): a blocking read waits past it.
        const top = Array.isArray(extra) && Array.isArray(extra[0]) ? String(extra[0][0]) : "0-0"
        merge.accept(lane, { entries, lastId, short, topId: top }, now)
        return
      }
      // Pending entries: Redis counted this read; XPENDING, after it in the MULTI, says how often.
      const counts = new Map<string, number>()
      if (Array.isArray(extra)) for (const row of extra as Array<Array<unknown>>) counts.set(String(row[0]), Number(row[3]))
      const gone: Array<string> = []
      for (const [id, flat] of read) {
        if (flat === null) gone.push(id)
        else if (!context.isInFlight(lane.eventType, id)) entries.push(toBuffered(lane, id, flat, counts.get(id) ?? 2))
      }
      if (gone.length > 0) trimmed.push([lane, gone])
      merge.accept(lane, { entries, lastId, short }, now)
    })
    yield* dropTrimmed(trimmed)
  })

  /** Waits until something is written after the last ids seen, or `block` passes; says whether something was. */
  const block = Effect.suspend(() => {
    const lanes = merge.lanes
    const args = ["COUNT", "1", "BLOCK", String(settings.blockMillis), "STREAMS", ...lanes.map(keyOf), ...lanes.map((l) => l.topId)]
    return trusted(Connection.command("wait", Connection.watched(redis, settings.blockMillis + watchdogMillis, () => redis.call("XREAD", args))))
  }).pipe(Effect.map((reply) => reply !== null))

  /** Takes over what other consumers left idle too long; the streams that got some are read again from the pending entries. */
  const claim = Effect.gen(function*() {
    const idle = String(settings.claimIdleMillis)
    let pages = merge.lanes.map((lane) => ({ lane, cursor: "0-0", ids: [] as Array<string> }))
    const done: typeof pages = []
    while (pages.length > 0) {
      const replies = yield* trusted(Connection.batch(
        redis,
        "reclaim",
        pages.map((p): Connection.Command => ["xautoclaim", keyOf(p.lane), groupOf(p.lane), consumer, idle, p.cursor, "COUNT", batch, "JUSTID"]),
        { watchdogMillis }
      ))
      pages.forEach((page, i) => {
        const [cursor, ids] = replies[i] as [unknown, unknown]
        page.cursor = String(cursor)
        if (Array.isArray(ids)) for (const id of ids) page.ids.push(String(id))
      })
      done.push(...pages.filter((p) => p.cursor === "0-0"))
      pages = pages.filter((p) => p.cursor !== "0-0")
    }
    for (const { ids, lane } of done) {
      const fresh = ids.filter((id) => !context.isInFlight(lane.eventType, id) && !OrderedMerge.buffers(lane, id))
      if (fresh.length === 0) continue
      context.claimed(lane.eventType, fresh)
      merge.restart(lane)
      yield* Effect.logInfo(`redis event bus: took over ${fresh.length} ${lane.eventType} entries idle for more than ${idle} ms`)
    }
    session.nextClaimAt = (yield* Clock.currentTimeMillis) + settings.claimIntervalMillis
  })

  const pull: Effect.Effect<Chunk.Chunk<Delivery>, BusError> = Effect.gen(function*() {
    for (;;) {
      if (session.generation !== connection.state().generation) yield* begin
      if ((yield* Clock.currentTimeMillis) >= session.nextClaimAt) yield* claim
      if (merge.isIdle() && !(yield* block)) continue
      yield* round
      if (session.failures > 0) {
        yield* Effect.logInfo(`redis event bus: reading ${what} resumed after ${session.failures} failed attempts`)
        session.failures = 0
      }
      const ready = merge.takeReady()
      if (ready.length > 0) return Chunk.unsafeFromArray(ready.map(context.deliver))
      // Buffered entries of the round's own millisecond wait until the server clock moves on.
      if (merge.waitsForClock()) yield* Effect.sleep("1 millis")
    }
  })

  return pull.pipe(
    Effect.tapError((error) =>
      Effect.suspend(() => {
        session.generation = undefined
        session.failures++
        const message = `redis event bus: reading ${what} failed (${error.message}); retrying`
        return session.failures === 1 ? Effect.logWarning(message) : Effect.logDebug(message)
      })
    ),
    Effect.retry(backoff)
  )
}
