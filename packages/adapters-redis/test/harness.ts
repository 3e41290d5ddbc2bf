/**
 * What the tests of this package share: one real redis-server per test file, a raw client to
 * look at what the bus wrote, and bus options isolated per test (their own prefixes and
 * service name on the shared server).
 */
import { Effect, Exit, Redacted, Scope } from "effect"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll } from "vitest"
import type { RedisEventBus } from "../src/index.js"
import { RedisServer } from "../src/testing/index.js"

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

/** Polls `check` every 20 ms until it holds, failing after `timeoutMs`. */
export const eventually = <E, R>(
  what: string,
  check: Effect.Effect<boolean, E, R>,
  timeoutMs = 10_000
): Effect.Effect<void, E | Error, R> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      yield* Effect.sleep("20 millis")
    }
  })
