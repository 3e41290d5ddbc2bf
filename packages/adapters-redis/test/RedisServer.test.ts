import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Redis } from "ioredis"
import { existsSync } from "node:fs"
import { RedisServer } from "../src/testing/index.js"

const withClient = <A>(server: RedisServer.RedisServer, use: (redis: Redis) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const redis = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, retryStrategy: () => null })
      redis.on("error", () => {})
      return redis
    }),
    (redis) => Effect.promise(() => use(redis)),
    (redis) => Effect.sync(() => redis.disconnect())
  )

describe("RedisServer", () => {
  it.live("starts on a free port, keeps acknowledged writes across SIGKILL and restart, and cleans up", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* Scope.extend(RedisServer.start(), scope)
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`)
      const id = yield* withClient(server, (r) => r.xadd("s", "*", "k", "v") as Promise<string>)
      yield* server.kill
      expect(yield* server.running).toBe(false)
      const refused = yield* withClient(server, (r) => r.ping().then(() => "pong", (e: Error) => e.message))
      expect(refused).not.toBe("pong")
      yield* server.restart
      expect(yield* server.running).toBe(true)
      const entries = yield* withClient(server, (r) => r.xrange("s", "-", "+"))
      expect(entries).toEqual([[id, ["k", "v"]]])
      yield* server.stop
      expect(yield* server.running).toBe(false)
      yield* server.restart
      expect(yield* withClient(server, (r) => r.xlen("s"))).toBe(1)
      yield* Scope.close(scope, Exit.void)
      expect(yield* server.running).toBe(false)
      expect(existsSync(server.dir)).toBe(false)
    }))

  it.live("requires the password it was given", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer.start({ password: "s3cret pass" })
      const denied = yield* withClient(server, (r) => r.ping().then(() => "pong", (e: Error) => e.message))
      expect(denied).toMatch(/NOAUTH/)
      const allowed = yield* Effect.acquireUseRelease(
        Effect.sync(() => new Redis({ port: server.port, password: "s3cret pass", maxRetriesPerRequest: 0 })),
        (r) => Effect.promise(() => r.ping()),
        (r) => Effect.sync(() => r.disconnect())
      )
      expect(allowed).toBe("PONG")
    }).pipe(Effect.scoped))

  it.live("fails loudly, naming the fix, when the binary is missing", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(RedisServer.start({ binary: "redis-server-that-does-not-exist" })))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? JSON.stringify(exit.cause) : ""
      expect(error).toContain("not found on PATH")
      expect(error).toContain("apt-get install redis-server")
    }))
})
