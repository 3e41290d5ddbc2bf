/**
 * The service on PostgreSQL (`PORTFOLIO_TRADE_STORE_TYPE=postgres`, a schema of its own on the
 * test server) killed with SIGKILL in the middle of a burst posted by eight concurrent clients
 * (issue 15): after a restart on the same schema every event that had been acknowledged (202)
 * is there — posting it again answers `duplicate` — and once the clients post what was not
 * acknowledged, the state is what the core computes from the whole burst: nothing lost,
 * nothing applied twice.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Burst from "./support/Burst.js"
import * as Http from "./support/Http.js"
import * as Postgres from "./support/Postgres.js"
import * as ServerProcess from "./support/ServerProcess.js"
import * as Streams from "./support/Streams.js"
import { waitFor } from "./support/WaitFor.js"

const env = (schema: string) => ({
  PORTFOLIO_TRADE_STORE_TYPE: "postgres",
  PORTFOLIO_POSTGRES_URL: Postgres.testUrl,
  PORTFOLIO_POSTGRES_SCHEMA: schema,
  PORTFOLIO_ACCOUNT_ID: "acct-durable",
  PORTFOLIO_SNAPSHOT_INTERVAL: "3600",
  PORTFOLIO_HTTP_LOG_REQUESTS: "false"
})

Postgres.describePostgres("the service on PostgreSQL, killed with SIGKILL", () => {
  it.scopedLive("every acknowledged event is there after a restart; the clients' retries then give the state of the whole burst", () =>
    Effect.gen(function* () {
      const schema = yield* Postgres.schema("kill")
      const events = Streams.mixed(3_000, { prefix: "K" })
      const lanes = Burst.lanes(events, 8)
      const first = yield* ServerProcess.start(env(schema))

      // The burst; the service is killed once 1 000 events are acknowledged, posts in flight.
      const posting = yield* Effect.fork(Effect.forEach(lanes, (lane) => Burst.runLane(() => first.url, lane, "refused"), { concurrency: "unbounded" }))
      yield* waitFor(Effect.sync(() => Burst.acknowledged(lanes).length), (n) => n >= 1_000, "1 000 events acknowledged", "60 seconds")
      const exit = yield* first.stop("SIGKILL")
      expect(exit.signal).toBe("SIGKILL")
      yield* Fiber.join(posting)
      const acked = Burst.acknowledged(lanes)
      const lost = lanes.filter((l) => l.next < l.events.length).length
      console.log(`killed with ${acked.length} of ${events.length} events acknowledged; ${lost} lanes cut off`)
      expect(acked.length).toBeLessThan(events.length)

      // Restarted on the same schema: each acknowledged event with a key of its own is a duplicate.
      const second = yield* ServerProcess.start(env(schema))
      const keyed = acked.filter(Burst.isKeyed)
      expect(keyed.length).toBeGreaterThan(200)
      const answers = yield* Effect.forEach(keyed, (e) => Effect.map(Burst.post(second.url, e), (a) => `${e.seq} ${a.status} ${a.body?.status}`), { concurrency: 8 })
      expect(answers.filter((a) => !a.endsWith(" 202 duplicate"))).toEqual([])

      // The clients post what was not acknowledged (some of it may have been committed: duplicates).
      yield* Effect.forEach(lanes, (lane) => Burst.runLane(() => second.url, lane, "done"), { concurrency: "unbounded" })
      expect(yield* Burst.view(second.url)).toEqual(Burst.oracle(events))
      const health = (yield* Http.get(second.url, "/health")).body
      expect(health.status).toBe("ok")
      expect(health.components.store.status).toBe("ok")
      expect(health.events).toMatchObject({ rejected: {}, failed: {}, orphan_closes: 0, over_closes: 0, parked_closes: 0 })
    }), 180_000)
})
