/**
 * The reading loop of one event type for one subscription, on its own blocking connection:
 * this consumer's pending entries first (id `0`), then new ones (`>`), and every
 * `claimInterval` the entries other consumers left pending longer than `claimIdle`
 * (`XAUTOCLAIM`). It survives errors: it logs, backs off, and resumes from the group's
 * position, pending entries first.
 */
import { BusError, type Delivery } from "@portfolio/core"
import { Chunk, Clock, Effect, Stream } from "effect"
import * as Connection from "./connection.js"
import type { Settings } from "./settings.js"
import * as Wire from "./wire.js"

/** What a reader needs from its bus. */
export interface ReaderContext {
  readonly settings: Settings
  /** Makes the delivery of an entry and records it as in flight. */
  readonly deliver: (
    eventType: string,
    entry: { readonly id: string; readonly fields: Record<string, string> },
    deliveryCount: number,
    reclaimed: boolean
  ) => Delivery
  /** Whether the entry is being handled by a subscription of this bus right now. */
  readonly isInFlight: (eventType: string, id: string) => boolean
}

/** The deliveries of one event type, read until the stream's scope closes. */
export const deliveries = (context: ReaderContext, eventType: string): Stream.Stream<Delivery> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const { settings } = context
      const key = Wire.streamKey(settings.streamPrefix, eventType)
      const group = Wire.groupName(settings.serviceName, eventType)
      const consumer = settings.consumerName
      // Start (and restart after every reconnection) with this consumer's pending entries:
      // a reply lost with the connection leaves entries pending that no one has seen.
      let readHistory = true
      let historyCursor = "0"
      let groupReady = false
      let claimCursor = "0-0"
      let nextClaimAt = 0
      let failures = 0
      const { redis } = yield* Connection.open(settings.endpoint, `${consumer}:${eventType}`, {
        role: "reader",
        onReady: () => {
          readHistory = true
          historyCursor = "0"
        }
      })

      const ensureGroup = Connection.command("create group", () =>
        redis.call("XGROUP", ["CREATE", key, group, "0", "MKSTREAM"])
      ).pipe(Effect.catchIf((e) => e.reason.startsWith("BUSYGROUP"), () => Effect.void))

      /** Delivery counts of entries just read from the pending list (the read counted itself). */
      const pendingCounts = (ids: ReadonlyArray<string>) =>
        Connection.command("read delivery counts", () =>
          redis.pipeline(ids.map((id) => ["xpending", key, group, id, id, "1", consumer])).exec()
        ).pipe(
          Effect.map((replies) => {
            const counts = new Map<string, number>()
            replies?.forEach(([, reply], i) => {
              const row = Array.isArray(reply) ? (reply[0] as Array<unknown> | undefined) : undefined
              if (row !== undefined) counts.set(ids[i]!, Number(row[3]))
            })
            return counts
          })
        )

      /** Acknowledges entries that were trimmed from the stream while pending: nothing is left to deliver. */
      const dropTrimmed = (entries: ReadonlyArray<Wire.RawEntry>) => {
        const gone = entries.filter((e) => e.fields === undefined).map((e) => e.id)
        return gone.length === 0
          ? Effect.void
          : Connection.command("ack trimmed", () => redis.call("XACK", [key, group, ...gone])).pipe(
            Effect.zipLeft(Effect.logWarning(`${gone.length} pending ${eventType} entries were trimmed before delivery`))
          )
      }

      /** Deliveries of entries read again from the pending list, skipping those still being handled. */
      const redeliver = (entries: ReadonlyArray<Wire.RawEntry>, reclaimed: boolean) =>
        Effect.gen(function*() {
          yield* dropTrimmed(entries)
          const fresh = entries.filter((e): e is { id: string; fields: Record<string, string> } =>
            e.fields !== undefined && !context.isInFlight(eventType, e.id)
          )
          if (fresh.length === 0) return []
          const counts = yield* pendingCounts(fresh.map((e) => e.id))
          return fresh.map((e) => context.deliver(eventType, e, counts.get(e.id) ?? 2, reclaimed))
        })

      const reclaim = Effect.gen(function*() {
        const reply = yield* Connection.command("reclaim", () =>
          redis.call("XAUTOCLAIM", [
            key,
            group,
            consumer,
            String(settings.claimIdleMillis),
            claimCursor,
            "COUNT",
            String(settings.batchSize)
          ])
        )
        const { cursor, entries } = Wire.parseAutoClaimReply(reply)
        claimCursor = cursor
        if (cursor === "0-0") nextClaimAt = (yield* Clock.currentTimeMillis) + settings.claimIntervalMillis
        return yield* redeliver(entries, true)
      })

      const readPending = Effect.gen(function*() {
        const reply = yield* Connection.command("read pending", () =>
          redis.call("XREADGROUP", [
            "GROUP",
            group,
            consumer,
            "COUNT",
            String(settings.batchSize),
            "STREAMS",
            key,
            historyCursor
          ])
        )
        const entries = Wire.parseReadReply(reply)
        if (entries.length === 0) {
          readHistory = false
          return []
        }
        historyCursor = entries[entries.length - 1]!.id
        return yield* redeliver(entries, false)
      })

      const readNew = Connection.command("read", () =>
        redis.call("XREADGROUP", [
          "GROUP",
          group,
          consumer,
          "COUNT",
          String(settings.batchSize),
          "BLOCK",
          String(settings.blockMillis),
          "STREAMS",
          key,
          ">"
        ])
      ).pipe(
        // A connection that died without closing would block forever: give up and reconnect.
        Effect.timeoutFail({
          duration: settings.blockMillis + 10_000,
          onTimeout: () => {
            redis.disconnect(true)
            return new BusError({
              operation: "read",
              reason: `no reply to a ${settings.blockMillis} ms blocking read within 10 s more; reconnecting`,
              retryable: true
            })
          }
        }),
        Effect.map((reply) =>
          Wire.parseReadReply(reply).flatMap((e) =>
            e.fields === undefined ? [] : [context.deliver(eventType, { id: e.id, fields: e.fields }, 1, false)]
          )
        )
      )

      const pull: Effect.Effect<ReadonlyArray<Delivery>, BusError> = Effect.gen(function*() {
        if (!groupReady) {
          yield* ensureGroup
          groupReady = true
        }
        if (claimCursor !== "0-0" || (yield* Clock.currentTimeMillis) >= nextClaimAt) {
          const reclaimed = yield* reclaim
          if (reclaimed.length > 0) return reclaimed
        }
        if (readHistory) {
          const pending = yield* readPending
          if (pending.length > 0 || readHistory) return pending
        }
        return yield* readNew
      })

      const recover = (error: BusError) =>
        Effect.gen(function*() {
          failures++
          const delay = Math.min(100 * 2 ** Math.min(failures - 1, 6), 5_000)
          const message = `redis event bus: reading ${eventType} failed (${error.message}); retrying in ${delay} ms`
          yield* failures === 1 ? Effect.logWarning(message) : Effect.logDebug(message)
          groupReady = false
          readHistory = true
          historyCursor = "0"
          yield* Effect.sleep(delay)
          return []
        })

      const step = pull.pipe(
        Effect.tap(() =>
          failures > 0
            ? Effect.zipRight(
              Effect.logInfo(`redis event bus: reading ${eventType} resumed after ${failures} failed attempts`),
              Effect.sync(() => {
                failures = 0
              })
            )
            : Effect.void
        ),
        Effect.catchAll(recover),
        Effect.map(Chunk.unsafeFromArray)
      )
      return Stream.repeatEffectChunk(step)
    })
  )
