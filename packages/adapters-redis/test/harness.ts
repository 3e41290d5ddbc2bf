/**
 * What the tests of this package share: one real redis-server per test file, a raw client to
 * look at what the bus wrote, and bus options isolated per test (their own prefixes and
 * service name on the shared server).
 */
import { EventBus, type Delivery } from "@portfolio/core"
import { Chunk, Effect, Exit, Redacted, Scope, Stream } from "effect"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll } from "vitest"
import type { RedisEventBus } from "../src/index.js"
import { RedisServer } from "../src/testing/index.js"
import * as Testing from "@portfolio/core/testing"

/** Starts a redis-server for the file (before its tests) and stops it after them. */
export const redisForFile = (options: RedisServer.Options = {}) => {
  const scope = Effect.runSync(Scope.make())
  let server: RedisServer.RedisServer | undefined
  let raw: Redis | undefined
  beforeAll(async () => {
    server = await Effect.runPromise(Scope.extend(RedisServer.start(options), scope))
    raw = new Redis({
      port: server.port,
      host: "127.0.0.1",
      ...(options.password !== undefined ? { password: options.password } : {}),
      retryStrategy: () => 50,
      maxRetriesPerRequest: null
    })
    // Tests kill the server: the raw client reconnects quietly.
    raw.on("error", () => {})
  })
  afterAll(async () => {
    raw?.disconnect()
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
  return {
    /** The server (after `beforeAll`). */
    server: () => server!,
    /** A raw client to the server, for looking at and writing streams by hand. */
    raw: () => raw!,
    /** Bus options on this server, with prefixes and a service name of their own. */
    busOptions: (extra: RedisEventBus.Options = {}): RedisEventBus.Options & { readonly tag: string } => {
      const tag = randomBytes(4).toString("hex")
      return {
        url: Redacted.make(server!.url),
        streamPrefix: `t${tag}:stream:`,
        deadLetterPrefix: `t${tag}:dlq:`,
        serviceName: `svc_${tag}`,
        ...extra,
        tag
      }
    }
  }
}

/** Reads a stream's entries as `{ id, fields }`, with the fields in their stored order. */
export const readStream = (redis: Redis, key: string) =>
  Effect.promise(() => redis.xrange(key, "-", "+")).pipe(
    Effect.map((entries) => entries.map(([id, flat]) => ({ id, flat, fields: Object.fromEntries(pairs(flat)) })))
  )

const pairs = (flat: ReadonlyArray<string>): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}

/** Polls `check` until it holds, failing after `timeoutMs`: core's one polling helper. */
export const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, timeoutMs = 10_000) =>
  Effect.asVoid(Testing.eventually(check, (ok) => ok, { what, timeout: timeoutMs, interval: "20 millis" }))


/** The fields of an entry as the Python bus writes it (`payload` a JSON string, zone-less time). */
export const pythonFields = (eventType: string, payload: Record<string, unknown>): Array<string> => [
  "event_type", eventType,
  "payload", JSON.stringify(payload),
  "trace_id", "",
  "timestamp", "2025-01-02T03:04:05.123456",
  "source", "test"
]

/** Appends an entry with a raw `XADD` (`id` `*` for a server-stamped one); gives its id. */
export const xadd = (redis: Redis, key: string, id: string, fields: ReadonlyArray<string>) =>
  Effect.promise(() => redis.xadd(key, id, ...fields) as Promise<string>)

/**
 * The merge order of DESIGN.md §5, written out here independently of the bus: entry id
 * milliseconds, then type (opened < executed < closed < tick < anything else), then sequence.
 */
export const byMergeKey = (a: { readonly eventType: string; readonly id: string }, b: { readonly eventType: string; readonly id: string }): number => {
  const rank = (t: string) => {
    const i = ["trade.opened", "order.executed", "trade.closed", "market.tick"].indexOf(t)
    return i < 0 ? 4 : i
  }
  const [am, as] = a.id.split("-").map(Number) as [number, number]
  const [bm, bs] = b.id.split("-").map(Number) as [number, number]
  return am - bm || rank(a.eventType) - rank(b.eventType) || as - bs || (a.eventType < b.eventType ? -1 : a.eventType > b.eventType ? 1 : 0)
}

/** `<type> <id>` of an entry, to compare sequences of deliveries. */
export const label = (e: { readonly eventType: string; readonly id: string }): string => `${e.eventType} ${e.id}`

/**
 * Subscribes to `types` and takes `n` deliveries, acknowledging each chunk with `ackAll` as
 * it comes unless `ack` is false; fails after `timeoutMs`.
 */
export const consume = (types: ReadonlyArray<string>, n: number, options: { readonly ack?: boolean; readonly timeoutMs?: number } = {}) =>
  Effect.flatMap(EventBus, (bus) =>
    bus.subscribe(types).pipe(
      Stream.mapChunksEffect((chunk) => (options.ack === false ? Effect.succeed(chunk) : Effect.as(bus.ackAll(Chunk.toReadonlyArray(chunk)), chunk))),
      Stream.take(n),
      Stream.runCollect,
      Effect.map((c): ReadonlyArray<Delivery> => Chunk.toReadonlyArray(c)),
      Effect.timeoutFail({ duration: options.timeoutMs ?? 20_000, onTimeout: () => new Error(`fewer than ${n} deliveries of ${types.join(", ")}`) })
    ))

/** The number of entries pending in a group (`XPENDING` summary); 0 when the group does not exist (yet). */
export const pendingCount = (redis: Redis, key: string, group: string) =>
  Effect.promise(() =>
    (redis.xpending(key, group) as Promise<[number, ...Array<unknown>]>).then(
      (summary) => summary[0],
      (error: Error) => (/NOGROUP|no such key/i.test(error.message) ? 0 : Promise.reject(error))
    )
  )
