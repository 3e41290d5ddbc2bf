/**
 * PostgreSQL stopped and started again under the running service, in the middle of a burst
 * posted by eight concurrent clients that retry what is not acknowledged (issue 15). The server
 * is a throwaway cluster of the machine's binaries on a port of its own (support/Postgres.ts),
 * so stopping it disturbs no other test; it is stopped and deleted at the end whatever happens.
 *
 * While the server is away the service says so (`/health` 503, the store `down`) and answers
 * what it cannot commit with an error after its retries, or holds it until the store is back
 * (never 202); when the server is back it goes on by itself — the same process, no restart —
 * and at the end every acknowledged event is there and the state is what the core computes
 * from the whole burst.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Burst from "./support/Burst.js"
import * as Http from "./support/Http.js"
import * as Postgres from "./support/Postgres.js"
import * as ServerProcess from "./support/ServerProcess.js"
import * as Streams from "./support/Streams.js"
import { waitFor } from "./support/WaitFor.js"

Postgres.describePostgres("the service on PostgreSQL, the server restarted under it", () => {
  it.scopedLive("degrades while the server is away, retries, loses nothing acknowledged, and recovers without a restart", () =>
    Effect.gen(function* () {
      const pg = yield* Postgres.privateServer
      const service = yield* ServerProcess.start({
        PORTFOLIO_TRADE_STORE_TYPE: "postgres",
        PORTFOLIO_POSTGRES_URL: pg.url,
        PORTFOLIO_POSTGRES_SCHEMA: "portfolio",
        PORTFOLIO_POSTGRES_STATEMENT_TIMEOUT_MS: "5000",
        PORTFOLIO_ACCOUNT_ID: "acct-restart",
        PORTFOLIO_SNAPSHOT_INTERVAL: "3600",
        PORTFOLIO_HTTP_LOG_REQUESTS: "false",
        PORTFOLIO_INGEST_MAX_ATTEMPTS: "4",
        PORTFOLIO_INGEST_RETRY_CAP_MS: "500"
      })
      const health = Http.get(service.url, "/health")
      expect((yield* health).status).toBe(200)

      const events = Streams.mixed(3_000, { prefix: "R" })
      const lanes = Burst.lanes(events, 8)
      const posting = yield* Effect.fork(
        Effect.forEach(lanes, (lane) => Burst.runLane(() => service.url, lane, "done", { retryMs: 100, giveUpMs: 120_000 }), { concurrency: "unbounded" })
      )
      yield* waitFor(Effect.sync(() => Burst.acknowledged(lanes).length), (n) => n >= 800, "800 events acknowledged", "60 seconds")

      // The server goes away (fast shutdown: sessions ended) while the clients keep posting.
      yield* pg.stop
      const ackedWhenStopped = Burst.acknowledged(lanes).length
      const down = yield* waitFor(health, (a) => a.status === 503 && a.body?.components?.store?.status === "down", "/health to say the store is down", "30 seconds")
      expect(down.body.status).toBe("down")
      expect(down.body.components.store.details.store).toBe(`postgres 127.0.0.1:${pg.port}/postgres schema=portfolio account=acct-restart`)
      // Nothing with a key of its own is acknowledged while it is away (ticks are applied
      // without a store write, so they may be): a post is either refused (5xx, "retry later"), or
      // held while the service waits for the store to reload its state. Counted after a pause,
      // so that answers to commits made before the stop have arrived.
      const keyedAcked = () => Burst.acknowledged(lanes).filter(Burst.isKeyed).length
      yield* Effect.sleep("2 seconds")
      const ackedWhileDown = keyedAcked()
      yield* Effect.sleep("3 seconds")
      expect(keyedAcked()).toBe(ackedWhileDown)
      expect(lanes.flatMap((l) => l.refusals).filter((r) => !/^5\d\d: .*retry later/.test(r) && !r.startsWith("lost:"))).toEqual([])

      yield* pg.start
      yield* waitFor(health, (a) => a.status === 200 && a.body?.components?.store?.status === "ok", "/health to say the store is ok again", "60 seconds")
      yield* Fiber.join(posting)
      console.log(
        `acknowledged ${ackedWhenStopped} before the stop (${ackedWhileDown} with keys, none more while it was away); ` +
          `${lanes.reduce((n, l) => n + l.refusals.length, 0)} refusals retried`
      )

      // The same process all along.
      const [alive] = yield* Effect.sync(() => {
        try {
          process.kill(service.pid, 0)
          return [true]
        } catch {
          return [false]
        }
      })
      expect(alive).toBe(true)
      expect(service.output()).not.toMatch(/portfolio-intelligence listening on[\s\S]*portfolio-intelligence listening on/)

      // Every event was acknowledged once in the end; each acknowledged keyed event is a duplicate now.
      expect(Burst.acknowledged(lanes).length).toBe(events.length)
      const again = yield* Effect.forEach(Burst.acknowledged(lanes).filter(Burst.isKeyed), (e) => Effect.map(Burst.post(service.url, e), (a) => `${e.seq} ${a.status} ${a.body?.status}`), { concurrency: 8 })
      expect(again.filter((a) => !a.endsWith(" 202 duplicate"))).toEqual([])
      expect(yield* Burst.view(service.url)).toEqual(Burst.oracle(events))
      const final = (yield* health).body
      expect(final.status).toBe("ok")
      expect(final.events).toMatchObject({ rejected: {}, orphan_closes: 0, over_closes: 0, parked_closes: 0 })
    }), 240_000)
})
