/**
 * `POST /api/events` with a JSON array (the server in this process, memory adapters): each
 * envelope is answered in order with the count of each status; an invalid one is rejected
 * with its fields while the others are ingested; 1 000 envelopes fit the default body limit;
 * more than 10 000 are refused with 413 naming the limit. One envelope keeps its own answer.
 */
import { IngestResult } from "@portfolio/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as EventBatch from "../src/EventBatch.js"
import * as RequestBody from "../src/RequestBody.js"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"

const open = (id: string) => ({ event_type: "trade.opened", payload: { trade_id: id, symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.1 } })
const close = (id: string) => ({ event_type: "trade.closed", payload: { trade_id: id, exit_price: 41_000 } })
const tick = (price: number, timestamp: string) => ({ event_type: "market.tick", payload: { symbol: "BTCUSDT", price, timestamp } })

const post = (url: string, body: unknown) => Http.post(url, "/api/events", body)

describe("EventBatch", () => {
  it("counts each status beside the results", () => {
    const result = (status: IngestResult["status"]): IngestResult => ({ status, event_type: "market.tick", event_id: null, reason: null, issues: [] })
    const results = [result("applied"), result("rejected"), result("applied"), result("parked"), result("duplicate")]
    expect(EventBatch.summarize(results)).toEqual({ applied: 2, duplicate: 1, ignored: 0, parked: 1, rejected: 1, results })
  })

  it.scopedLive("answers an array one result per envelope, in order, with the counts", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const answer = yield* post(url, [
        close("A2"), // its trade is not open yet: parked
        open("A1"),
        { event_type: "trade.opened", payload: { trade_id: "A3", symbol: "BTCUSDT", side: "UP", entry_price: 1, quantity: 1 } },
        open("A1"), // again: duplicate
        tick(41_000, "2024-03-05T12:00:01"),
        tick(40_500, "2024-03-05T12:00:00"), // older than the last price: ignored
        open("A2"),
        "not an envelope"
      ])
      expect(answer.status).toBe(202)
      const body = Schema.decodeUnknownSync(EventBatch.IngestBatchResult)(answer.body)
      expect(body.results.map((r) => r.status)).toEqual(["parked", "applied", "rejected", "duplicate", "applied", "ignored", "applied", "rejected"])
      expect(body).toMatchObject({ applied: 3, duplicate: 1, ignored: 1, parked: 1, rejected: 2 })
      expect(body.results[2]!.issues.map((i) => i.path)).toEqual(["payload.side"])
      expect(body.results[1]).toMatchObject({ event_type: "trade.opened", event_id: "trade.opened:A1" })

      // The valid ones were ingested; the invalid ones are among the rejections.
      const snapshot = (yield* Http.get(url, "/api/portfolio/snapshot")).body
      expect(snapshot.positions.map((p: { trade_id: string }) => p.trade_id)).toContain("A1")
      expect(snapshot.positions[0].current_price).toBe(41_000)
      const rejected = (yield* Http.get(url, "/api/events/rejected")).body
      expect(rejected.map((r: { origin: string }) => r.origin)).toEqual(["http", "http"])

      const empty = yield* post(url, [])
      expect(empty.status).toBe(202)
      expect(empty.body).toEqual({ applied: 0, duplicate: 0, ignored: 0, parked: 0, rejected: 0, results: [] })
    }).pipe(Effect.provide(layer())))

  it.scopedLive("takes 1 000 envelopes under the default body limit, and refuses more than 10 000 with 413", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const thousand = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? open(`B${i}`) : close(`B${i - 1}`)))
      const text = JSON.stringify(thousand)
      expect(Buffer.byteLength(text)).toBeLessThan(RequestBody.DEFAULT_MAX_BYTES)
      const answer = yield* post(url, text)
      expect(answer.status).toBe(202)
      expect(answer.body.results).toHaveLength(1000)
      expect(answer.body).toMatchObject({ applied: 1000, rejected: 0 })

      const tooMany = yield* post(url, Array.from({ length: EventBatch.MAX_EVENTS + 1 }, () => ({})))
      expect(tooMany.status).toBe(413)
      expect(tooMany.body).toEqual({
        error: "payload_too_large",
        message: "the array holds 10001 events; at most 10000 are taken in one request: split it",
        details: { limit_events: 10_000, received_events: 10_001 }
      })
      // Nothing of it was ingested.
      expect((yield* Http.get(url, "/api/events/rejected")).body).toEqual([])
    }).pipe(Effect.provide(layer())))

  it.scopedLive("keeps the answer of one envelope: 202 with its IngestResult, parked included, or 422", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const parked = yield* post(url, close("C1"))
      expect(parked.status).toBe(202)
      expect(parked.body).toMatchObject({ status: "parked", event_type: "trade.closed", reason: expect.any(String) })
      Schema.decodeUnknownSync(IngestResult)(parked.body)
      const applied = yield* post(url, open("C1"))
      expect(applied.status).toBe(202)
      expect(applied.body).toEqual({ status: "applied", event_type: "trade.opened", event_id: "trade.opened:C1", reason: null, issues: [] })
      const invalid = yield* post(url, { event_type: "market.tick", payload: { symbol: "BTCUSDT" } })
      expect(invalid.status).toBe(422)
      expect(invalid.body).toMatchObject({ error: "invalid_event", status: "rejected", issues: [{ path: "payload.price" }] })
    }).pipe(Effect.provide(layer())))
})
