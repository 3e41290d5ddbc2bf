/**
 * `POST /api/events` against bad or repeated input (the server in this process, memory
 * adapters): the same close sent twice is applied once; the `Idempotency-Key` header makes a
 * request its key's event (and is refused with an array); a body nested 100 000 levels deep is
 * answered 400, counted in `/health`, and the server keeps serving; a 900 KB symbol is 422
 * naming `payload.symbol`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { BAD_BODY } from "../src/ApiHandlers.js"
import * as RequestBody from "../src/RequestBody.js"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"

const open = (id: string, quantity = 1) => ({
  event_type: "trade.opened",
  payload: { trade_id: id, symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity }
})
const json = { "content-type": "application/json" }
const post = (url: string, body: unknown, headers: Record<string, string> = {}) => Http.post(url, "/api/events", body, { ...json, ...headers })
const realizedTotal = (url: string) => Effect.map(Http.get(url, "/api/portfolio/pnl"), (a) => a.body.realized_pnl_total as number)

describe("ingest over HTTP", () => {
  it.scopedLive("applies the same close sent twice once, without close_id, order_id or timestamp", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      expect((yield* post(url, open("T1"))).body.status).toBe("applied")
      const close = { event_type: "trade.closed", payload: { trade_id: "T1", exit_price: 40_500 } }
      const first = yield* post(url, close)
      expect(first.status).toBe(202)
      expect(first.body.status).toBe("applied")
      const again = yield* post(url, close)
      expect(again.status).toBe(202)
      expect(again.body.status).toBe("duplicate")
      expect(yield* realizedTotal(url)).toBe(500)
    }).pipe(Effect.provide(layer())))

  it.scopedLive("takes the Idempotency-Key header as the event's key for one envelope, and refuses it with an array", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      expect((yield* post(url, open("T2", 1))).body.status).toBe("applied")
      const partial = { event_type: "trade.closed", payload: { trade_id: "T2", exit_price: 41_000, quantity: 0.25 } }
      const first = yield* post(url, partial, { "idempotency-key": "close-T2-a" })
      expect(first.body.status).toBe("applied")
      const again = yield* post(url, partial, { "idempotency-key": "close-T2-a" })
      expect(again.status).toBe(202)
      expect(again.body.status).toBe("duplicate")
      expect(yield* realizedTotal(url)).toBe(250)
      // Another key: another event, though the body is the same.
      expect((yield* post(url, partial, { "idempotency-key": "close-T2-b" })).body.status).toBe("applied")
      expect(yield* realizedTotal(url)).toBe(500)

      const batch = yield* post(url, [partial], { "idempotency-key": "close-T2-c" })
      expect(batch.status).toBe(400)
      expect(batch.body).toMatchObject({ error: "bad_request", details: { header: "Idempotency-Key" } })
      expect(batch.body.message).toContain("Idempotency-Key")
      expect(yield* realizedTotal(url)).toBe(500)

      const tooLong = yield* post(url, partial, { "idempotency-key": "k".repeat(129) })
      expect(tooLong.status).toBe(422)
      expect(tooLong.body.issues.map((i: { path: string }) => i.path)).toEqual(["Idempotency-Key"])
    }).pipe(Effect.provide(layer())))

  it.scopedLive("answers a body nested 100 000 levels deep 400, counts it, and keeps serving", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const n = 100_000
      const bodies = [
        "[".repeat(n) + "]".repeat(n),
        "{\"a\":".repeat(n) + "1" + "}".repeat(n),
        `{"event_type":"market.tick","payload":${"[".repeat(n)}${"]".repeat(n)}}`
      ]
      for (const body of bodies) {
        const answer = yield* post(url, body)
        expect(answer.status).toBe(400)
        expect(answer.body).toEqual({
          error: "bad_request",
          message: `the body nests arrays and objects deeper than ${RequestBody.MAX_DEPTH} levels`,
          details: { max_depth: RequestBody.MAX_DEPTH }
        })
      }
      const notJson = yield* post(url, "{")
      expect(notJson.status).toBe(400)
      const health = yield* Http.get(url, "/health")
      expect(health.status).toBe(200)
      expect(health.body.events.rejected[BAD_BODY]).toBe(4)
      expect((yield* post(url, open("D1"))).body.status).toBe("applied")
      expect((yield* Http.get(url, "/api/portfolio/snapshot")).body.num_positions).toBe(1)
    }).pipe(Effect.provide(layer())))

  it.scopedLive("answers a 900 KB symbol 422 naming payload.symbol", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const answer = yield* post(url, { event_type: "trade.opened", payload: { ...open("S1").payload, symbol: "X".repeat(900 * 1024) } })
      expect(answer.status).toBe(422)
      expect(answer.body).toMatchObject({ error: "invalid_event", status: "rejected", event_type: "trade.opened" })
      expect(answer.body.issues.map((i: { path: string }) => i.path)).toEqual(["payload.symbol"])
      expect(answer.text.length).toBeLessThan(10_000)
      expect((yield* Http.get(url, "/api/portfolio/snapshot")).body.num_positions).toBe(0)
    }).pipe(Effect.provide(layer())))
})
