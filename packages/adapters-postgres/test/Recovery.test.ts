/**
 * The server taken away during a burst of commits: its backends terminated
 * (`pg_terminate_backend`, what a restart does to open connections), and the server unreachable
 * for a while (a proxy in front of it stops: connections cut, new ones refused, as while it
 * restarts). The store answers retryable errors meanwhile, then goes on with the same pool, not
 * rebuilt; a commit is retried until it answers, and at the end the store holds exactly what an
 * in-memory store fed the same batches once holds: nothing acknowledged lost, nothing twice.
 */
import { MemoryTradeStore, type StoreBatch, type StoreError, TradeStore, type TradeStoreService } from "@portfolio/core"
import { expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Redacted, Schedule } from "effect"
import { PostgresDatabase, PostgresTradeStore } from "../src/index.js"
import { mixedEvent } from "./fixtures/Events.js"
import { admin, describePostgres, testUrl, useSchemas } from "./fixtures/Postgres.js"
import { startProxy } from "./fixtures/Proxy.js"

const { freshSchema } = useSchemas("recovery")

const contents = (store: TradeStoreService) =>
  Effect.all({
    openTrades: store.openTrades,
    netPositions: store.netPositions,
    closes: store.closedTrades(),
    fills: store.fills(),
    parked: store.parkedCloses,
    buckets: store.realizedBuckets,
    counts: store.counts
  })

describePostgres("PostgresTradeStore under server failures", () => {
  it.live("backends terminated and the server unreachable mid-burst: retryable errors, recovery without a rebuild, nothing acknowledged lost", () =>
    Effect.gen(function*() {
      const server = new URL(testUrl)
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => startProxy({ host: server.hostname, port: Number(server.port || 5432) })),
        (proxy) => Effect.promise(() => proxy.close())
      )
      const viaProxy = new URL(testUrl)
      viaProxy.hostname = "127.0.0.1"
      viaProxy.port = String(proxy.port)
      const applicationName = `pit-recovery-${process.pid}`
      const store = yield* Effect.map(
        Layer.build(PostgresTradeStore.layer.pipe(Layer.provide(PostgresDatabase.layer({
          url: Redacted.make(viaProxy.toString()),
          schema: freshSchema(),
          poolSize: 4,
          connectTimeoutMs: 1_000,
          applicationName
        })))),
        Context.get(TradeStore)
      )
      const memory = yield* Effect.map(Layer.build(MemoryTradeStore.layer), Context.get(TradeStore))

      const failures: Array<StoreError> = []
      /** Commits until the store answers; each failure on the way is recorded. */
      const commitUntilDone = (group: ReadonlyArray<StoreBatch>) =>
        store.commitMany(group).pipe(
          Effect.tapError((error) => Effect.sync(() => failures.push(error))),
          Effect.retry({ while: (error) => error.retryable, schedule: Schedule.spaced("25 millis"), times: 800 })
        )
      const terminateBackends = Effect.promise(() =>
        admin("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1", [applicationName]))
      const outage = Effect.gen(function*() {
        yield* Effect.promise(() => proxy.stop())
        yield* Effect.sleep("400 millis")
        yield* Effect.promise(() => proxy.start())
      })

      // Groups of 1 to 40 events (a fixed pseudo-random sequence), 4 000 events in all.
      let seed = 7
      const groups: Array<Array<StoreBatch>> = []
      for (let i = 0; i < 4_000;) {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
        const size = 1 + (seed % 40)
        groups.push(Array.from({ length: Math.min(size, 4_000 - i) }, (_, k) => mixedEvent(i + k)))
        i += size
      }
      const acknowledged: Array<string> = []
      for (const [g, group] of groups.entries()) {
        // Disruptions land while commits are in flight: forked, not awaited.
        let disruption: Fiber.RuntimeFiber<unknown> | undefined
        if (g % 40 === 10) disruption = yield* Effect.fork(terminateBackends)
        if (g % 40 === 30) disruption = yield* Effect.fork(outage)
        const results = yield* commitUntilDone(group)
        expect(results.length).toBe(group.length)
        for (const batch of group) acknowledged.push(batch.eventKey as string)
        yield* memory.commitMany(group)
        if (disruption !== undefined) yield* Fiber.join(disruption)
      }
      // And once more with certainty: the server away before a commit, back while it retries.
      yield* Effect.promise(() => proxy.stop())
      const back = yield* Effect.fork(Effect.delay(Effect.promise(() => proxy.start()), "500 millis"))
      const last = [mixedEvent(4_000), mixedEvent(4_001)]
      yield* commitUntilDone(last)
      yield* memory.commitMany(last)
      acknowledged.push(...last.map((b) => b.eventKey as string))
      yield* Fiber.join(back)
      yield* terminateBackends
      yield* commitUntilDone([mixedEvent(4_002)])
      yield* memory.commitMany([mixedEvent(4_002)])
      acknowledged.push("ev-4002")

      expect(failures.length).toBeGreaterThan(0)
      expect(failures.every((e) => e.retryable)).toBe(true)
      const seen = yield* store.processedAmong(acknowledged)
      expect(acknowledged.filter((key) => !seen.has(key))).toEqual([])
      expect(yield* contents(store)).toEqual(yield* contents(memory))
      expect((yield* store.counts).events).toBe(4_003)
      yield* store.ping
    }).pipe(Effect.scoped), 180_000)
})
