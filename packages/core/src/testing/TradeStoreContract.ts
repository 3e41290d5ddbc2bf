/**
 * The contract every `TradeStore` implementation passes: atomic, idempotent commits (one batch
 * or many in one transaction), upserts and deletes by key, parked closes, time ranges, counts. Run it from an implementation's tests with a
 * factory that gives a fresh, empty store each time.
 *
 * @example
 * tradeStoreContract("MemoryTradeStore", () => MemoryTradeStore.layer)
 *
 * @since 0.1.0
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, type Layer, Stream } from "effect"
import * as fc from "fast-check"
import { noChanges } from "../domain/PortfolioState.js"
import * as CloseRollup from "../domain/CloseRollup.js"
import * as RealizedBuckets from "../domain/RealizedBuckets.js"
import * as RollupQuery from "../domain/RollupQuery.js"
import type { ClosedTradeRecord, FillRecord, NetPositionRecord, OpenTradeRecord, ParkedCloseRecord } from "../schema/Records.js"
import { type StoreBatch, TradeStore, type TradeStoreService } from "../ports/TradeStore.js"

/** An open trade with defaults for every field but its id. */
export const openTradeRecord = (trade_id: string, fields: Partial<OpenTradeRecord> = {}): OpenTradeRecord => ({
  trade_id,
  symbol: "BTCUSDT",
  side: "LONG",
  entry_price: 50_000.5,
  size: 0.25,
  original_size: 0.25,
  leverage: 10,
  category: "CORE",
  opened_at: 1_700_000_000_000,
  realized_pnl: 0,
  fees: 0.0125,
  updated_at: 1_700_000_000_000,
  ...fields
})

/**
 * A close with defaults for every field but its id and time: by default the full close of a
 * one-close trade. `round_trip_pnl`, unless given, follows the fields as a store would receive
 * it from the core for a trade without opening fees: the close's `realized_pnl` when it ends a
 * round trip (nothing remains and it closed a quantity, or it is an orphan), else null (a partial
 * close, a fee record).
 */
export const closedTradeRecord = (
  close_id: string,
  closed_at: number,
  fields: Partial<ClosedTradeRecord> = {}
): ClosedTradeRecord => {
  const close: ClosedTradeRecord = {
    close_id,
    trade_id: `trade-of-${close_id}`,
    symbol: "ETHUSDT",
    side: "SHORT",
    entry_price: 3_000.25,
    exit_price: 2_950.75,
    quantity: 1.5,
    realized_pnl: 74.25 - 0.1 - 0.2,
    fees: 0.3,
    opened_at: closed_at - 60_000,
    closed_at,
    remaining_size: 0,
    orphan: false,
    over_close: false,
    round_trip_pnl: null,
    ...fields
  }
  if (fields.round_trip_pnl !== undefined) return close
  const ends = close.remaining_size === 0 && (close.quantity > 0 || close.orphan)
  return { ...close, round_trip_pnl: ends ? close.realized_pnl : null }
}

/** A fill with defaults for every field but its key and time. */
export const fillRecord = (fill_key: string, executed_at: number, fields: Partial<FillRecord> = {}): FillRecord => ({
  fill_key,
  order_id: `order-of-${fill_key}`,
  fill_id: null,
  symbol: "SOLUSDT",
  side: "BUY",
  position_side: "LONG",
  quantity: 3,
  price: 150.125,
  fee: 0.05,
  realized_pnl: 0,
  executed_at,
  ...fields
})

/** A net position with defaults for every field but its key. */
export const netPositionRecord = (
  symbol: string,
  side: NetPositionRecord["side"],
  fields: Partial<NetPositionRecord> = {}
): NetPositionRecord => ({
  symbol,
  side,
  size: 2,
  entry_price: 101.5,
  leverage: 3,
  opened_at: 1_700_000_000_000,
  realized_pnl: -1.25,
  fees: 0.5,
  updated_at: 1_700_000_100_000,
  ...fields
})

/** A parked close with defaults for every field but its event key and trade. */
export const parkedCloseRecord = (
  event_key: string,
  trade_id: string,
  fields: Partial<ParkedCloseRecord> = {}
): ParkedCloseRecord => ({
  event_key,
  trade_id,
  event: JSON.stringify({
    type: "trade.closed",
    payload: { trade_id, exit_price: 51_000.5, quantity: 0.1, note: "é ✓ \u0000" },
    at: 1_700_000_000_000
  }),
  parked_at: 1_700_000_000_500,
  ...fields
})

/** A batch with nothing in it but what `fields` gives (`eventKey` `undefined`: a release). */
export const storeBatch = (eventKey: string | undefined, fields: Partial<Omit<StoreBatch, "eventKey">> = {}): StoreBatch => ({
  eventKey,
  eventType: "trade.opened",
  at: 1_700_000_000_000,
  ...noChanges,
  ...fields
})

/** Everything a store holds, for before/after comparisons. */
const contents = (store: TradeStoreService) =>
  Effect.all({
    openTrades: store.openTrades,
    netPositions: store.netPositions,
    closes: store.closedTrades(),
    fills: store.fills(),
    parked: store.parkedCloses,
    counts: store.counts
  })

/**
 * Random closes for the bucket property: times over a few buckets (several per bucket, some on
 * a boundary), amounts in eighths (sums are exact, so any summation order agrees), round trips
 * ending or not, break-evens, fee records.
 */
const randomCloses = fc
  .array(
    fc.record({
      at: fc.oneof(fc.integer({ min: 0, max: 6 * 15 * 60_000 }), fc.integer({ min: 0, max: 6 }).map((k) => k * 15 * 60_000)),
      eighths: fc.integer({ min: -8_000, max: 8_000 }),
      feeEighths: fc.integer({ min: 0, max: 40 }),
      kind: fc.constantFrom("partial", "end", "breakeven", "fee", "orphan"),
      tripEighths: fc.integer({ min: -8_000, max: 8_000 })
    }),
    { maxLength: 40 }
  )
  .map((drawn) =>
    drawn.map(({ at, eighths, feeEighths, kind, tripEighths }, i): ClosedTradeRecord => {
      const id = `c-${String(i).padStart(3, "0")}`
      const closed_at = 1_700_000_100_000 - (1_700_000_100_000 % (15 * 60_000)) + at
      const fees = feeEighths / 8
      switch (kind) {
        case "partial":
          return closedTradeRecord(id, closed_at, { quantity: 1, remaining_size: 1, realized_pnl: eighths / 8, fees, round_trip_pnl: null })
        case "end":
          return closedTradeRecord(id, closed_at, { realized_pnl: eighths / 8, fees, round_trip_pnl: tripEighths / 8 })
        case "breakeven":
          return closedTradeRecord(id, closed_at, { realized_pnl: eighths / 8, fees, round_trip_pnl: 0 })
        case "fee":
          return closedTradeRecord(id, closed_at, { quantity: 0, remaining_size: 1, realized_pnl: -fees, fees, round_trip_pnl: null })
        case "orphan":
          return closedTradeRecord(id, closed_at, { quantity: 0, orphan: true, entry_price: null, opened_at: null, realized_pnl: eighths / 8, fees: 0, round_trip_pnl: eighths / 8 })
      }
    })
  )

/**
 * Random closes for the close rollup: over three days and three symbols, several per 15
 * minutes, some on a 15-minute or day boundary; partial closes, round trips won, lost and
 * broken even, amounts in eighths or any double (`exact` false: the stored sums must still be
 * the reference's to the last bit); and an order of arrival and a cut into calls, so closes come
 * late (before the last close of their row) as a delayed or released parked close does.
 */
const rollupCloses = (exact: boolean) =>
  fc
    .array(
      fc.record({
        day: fc.integer({ min: 0, max: 2 }),
        at: fc.oneof(fc.integer({ min: 0, max: 8 * 15 * 60_000 }), fc.integer({ min: 0, max: 8 }).map((k) => k * 15 * 60_000)),
        symbol: fc.constantFrom("BTCUSDT", "ETHUSDT", "SOLUSDT"),
        pnl: exact ? fc.integer({ min: -8_000, max: 8_000 }).map((e) => e / 8) : fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        kind: fc.constantFrom("partial", "win", "loss", "breakeven"),
        order: fc.nat(),
        cut: fc.boolean()
      }),
      { maxLength: 60 }
    )
    .map((drawn) => {
      // The last UTC hours of a day: 8 quarters run over midnight into the next day.
      const base = Date.UTC(2026, 2, 1, 22, 30)
      const closes = drawn.map(({ at, day, kind, pnl, symbol }, i) => {
        const trip = kind === "partial" ? null : kind === "breakeven" ? 0 : kind === "win" ? Math.abs(pnl) || 1 : -(Math.abs(pnl) || 1)
        return closedTradeRecord(`c-${String(i).padStart(3, "0")}`, base + day * 86_400_000 + at, {
          symbol,
          realized_pnl: pnl,
          round_trip_pnl: trip,
          ...(trip === null ? { quantity: 1, remaining_size: 1 } : {})
        })
      })
      const arrival = closes.map((close, i) => ({ close, order: drawn[i]!.order, cut: drawn[i]!.cut })).sort((a, b) => a.order - b.order)
      const calls: Array<Array<ClosedTradeRecord>> = []
      for (const { close, cut } of arrival) {
        if (cut || calls.length === 0) calls.push([])
        calls[calls.length - 1]!.push(close)
      }
      return { closes, calls }
    })

/**
 * Registers the trade store contract as a `describe` block named `name`. `makeLayer` is called
 * once per test (and per run of a property) and must give a fresh, empty store;
 * `options.propertyRuns` sets the runs of the property tests (default 50).
 */
export const tradeStoreContract = <E>(
  name: string,
  makeLayer: () => Layer.Layer<TradeStore, E>,
  options: { readonly propertyRuns?: number } = {}
): void => {
  const withStore = <A>(body: (store: TradeStoreService) => Effect.Effect<A, unknown>) =>
    Effect.flatMap(TradeStore, body).pipe(Effect.provide(makeLayer()))

  describe(`${name} (TradeStore contract)`, () => {
    it.effect("a fresh store is empty and answers ping", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.ping
          expect(yield* contents(store)).toEqual({
            openTrades: [],
            netPositions: [],
            closes: [],
            fills: [],
            parked: [],
            counts: { openTrades: 0, closes: 0, fills: 0, events: 0, parked: 0 }
          })
          expect(yield* store.isProcessed("never-seen")).toBe(false)
          expect(yield* store.processedAmong(["never-seen"])).toEqual(new Set())
        })
      ))

    it.effect("commit writes every record of a batch, values intact", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const trades = [
            openTradeRecord("t-1", { entry_price: 0.1 + 0.2, size: 1e-12, category: null }),
            openTradeRecord("t-2", { opened_at: 1_700_000_000_001, side: "SHORT", realized_pnl: -1234.5678901234 })
          ]
          const closes = [
            closedTradeRecord("c-1", 1_700_000_050_000, { entry_price: null, opened_at: null, orphan: true }),
            closedTradeRecord("c-2", 1_700_000_060_000, { over_close: true, realized_pnl: 1.7976931348623157e308 })
          ]
          const fills = [
            fillRecord("f-1", 1_700_000_070_000, { fill_id: "9", side: "SELL", position_side: "SHORT" }),
            fillRecord("f-2", 1_700_000_080_000)
          ]
          const positions = [netPositionRecord("SOLUSDT", "LONG", { entry_price: 5e-324 })]
          const parked = [parkedCloseRecord("ev-close-9", "t-9", { parked_at: 1_700_000_000_123 })]
          const batch = storeBatch("ev-1", { upsertOpenTrades: trades, closes, fills, upsertNetPositions: positions, parkCloses: parked })
          expect(yield* store.commit(batch)).toBe("committed")
          expect(yield* contents(store)).toEqual({
            openTrades: trades,
            netPositions: positions,
            closes,
            fills,
            parked,
            counts: { openTrades: 2, closes: 2, fills: 2, events: 1, parked: 1 }
          })
          expect(yield* store.isProcessed("ev-1")).toBe(true)
        })
      ))

    it.effect("a second commit of the same eventKey answers duplicate and changes nothing", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const first = storeBatch("ev-dup", {
            upsertOpenTrades: [openTradeRecord("t-1")],
            closes: [closedTradeRecord("c-1", 1000)]
          })
          expect(yield* store.commit(first)).toBe("committed")
          const before = yield* contents(store)
          const again = storeBatch("ev-dup", {
            upsertOpenTrades: [openTradeRecord("t-1", { size: 99 }), openTradeRecord("t-9")],
            deleteOpenTrades: ["t-1"],
            closes: [closedTradeRecord("c-2", 2000)],
            fills: [fillRecord("f-1", 3000)],
            upsertNetPositions: [netPositionRecord("BTCUSDT", "LONG")],
            parkCloses: [parkedCloseRecord("ev-p", "t-7")]
          })
          expect(yield* store.commit(again)).toBe("duplicate")
          expect(yield* store.commit(first)).toBe("duplicate")
          expect(yield* contents(store)).toEqual(before)
        })
      ))

    it.effect("a batch that fails writes nothing, not even its event key", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-1", { closes: [closedTradeRecord("c-1", 1000)] }))
          const before = yield* contents(store)
          const clashing = storeBatch("ev-2", {
            upsertOpenTrades: [openTradeRecord("t-2")],
            fills: [fillRecord("f-2", 2000)],
            upsertNetPositions: [netPositionRecord("BTCUSDT", "SHORT")],
            closes: [closedTradeRecord("c-2", 2000), closedTradeRecord("c-1", 3000)]
          })
          const error = yield* Effect.flip(store.commit(clashing))
          expect(error._tag).toBe("StoreError")
          expect(error.retryable).toBe(false)
          expect(yield* contents(store)).toEqual(before)
          expect(yield* store.isProcessed("ev-2")).toBe(false)

          const repeatsInside = storeBatch("ev-3", {
            upsertOpenTrades: [openTradeRecord("t-3")],
            fills: [fillRecord("f-3", 2000), fillRecord("f-3", 2001)]
          })
          expect((yield* Effect.flip(store.commit(repeatsInside)))._tag).toBe("StoreError")
          expect(yield* contents(store)).toEqual(before)

          // The key was not burnt: the corrected batch commits.
          const fixed = { ...clashing, closes: [closedTradeRecord("c-2", 2000)] }
          expect(yield* store.commit(fixed)).toBe("committed")
          const after = yield* contents(store)
          expect(after.openTrades.map((t) => t.trade_id)).toEqual(["t-2"])
          expect(after.closes.map((c) => c.close_id)).toEqual(["c-1", "c-2"])
          expect(after.counts).toEqual({ openTrades: 1, closes: 2, fills: 1, events: 2, parked: 0 })
        })
      ))

    it.effect("open trades are upserted by trade_id and listed by (opened_at, trade_id)", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-1", {
            upsertOpenTrades: [
              openTradeRecord("t-b", { opened_at: 2000 }),
              openTradeRecord("t-a", { opened_at: 2000 }),
              openTradeRecord("t-c", { opened_at: 1000 })
            ]
          }))
          const partlyClosed = openTradeRecord("t-a", { opened_at: 2000, size: 0.1, realized_pnl: 12.5, updated_at: 3000 })
          yield* store.commit(storeBatch("ev-2", { upsertOpenTrades: [partlyClosed] }))
          const trades = yield* store.openTrades
          expect(trades.map((t) => t.trade_id)).toEqual(["t-c", "t-a", "t-b"])
          expect(trades[1]).toEqual(partlyClosed)
          expect((yield* store.counts).openTrades).toBe(3)
        })
      ))

    it.effect("net positions are upserted by (symbol, side) and listed in that order", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-1", {
            upsertNetPositions: [
              netPositionRecord("ETHUSDT", "SHORT"),
              netPositionRecord("BTCUSDT", "SHORT", { size: 1 }),
              netPositionRecord("BTCUSDT", "LONG")
            ]
          }))
          const grown = netPositionRecord("BTCUSDT", "SHORT", { size: 3, entry_price: 99.5 })
          yield* store.commit(storeBatch("ev-2", { upsertNetPositions: [grown] }))
          expect(yield* store.netPositions).toEqual([
            netPositionRecord("BTCUSDT", "LONG"),
            grown,
            netPositionRecord("ETHUSDT", "SHORT")
          ])
        })
      ))

    it.effect("deletes remove open trades and net positions; deleting what is absent is a no-op", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-1", {
            upsertOpenTrades: [openTradeRecord("t-1"), openTradeRecord("t-2")],
            upsertNetPositions: [netPositionRecord("BTCUSDT", "LONG"), netPositionRecord("BTCUSDT", "SHORT")]
          }))
          const result = yield* store.commit(storeBatch("ev-2", {
            deleteOpenTrades: ["t-1", "t-missing"],
            deleteNetPositions: [{ symbol: "BTCUSDT", side: "LONG" }, { symbol: "XRPUSDT", side: "LONG" }]
          }))
          expect(result).toBe("committed")
          expect((yield* store.openTrades).map((t) => t.trade_id)).toEqual(["t-2"])
          expect((yield* store.netPositions).map((p) => `${p.symbol}/${p.side}`)).toEqual(["BTCUSDT/SHORT"])
        })
      ))

    it.effect("within a batch, upserts apply before deletes", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-1", {
            upsertOpenTrades: [openTradeRecord("t-1"), openTradeRecord("t-2")],
            deleteOpenTrades: ["t-1"],
            upsertNetPositions: [netPositionRecord("BTCUSDT", "LONG")],
            deleteNetPositions: [{ symbol: "BTCUSDT", side: "LONG" }]
          }))
          expect((yield* store.openTrades).map((t) => t.trade_id)).toEqual(["t-2"])
          expect(yield* store.netPositions).toEqual([])
        })
      ))

    it.effect("closedTrades: from inclusive, to exclusive, oldest first, limit", () =>
      withStore((store) =>
        Effect.gen(function*() {
          // Committed out of time order, with a tie at 3000 broken by close_id.
          for (const [key, at] of [["c-5", 5000], ["c-3b", 3000], ["c-1", 1000], ["c-4", 4000], ["c-3a", 3000], ["c-2", 2000]] as const) {
            yield* store.commit(storeBatch(`ev-${key}`, { closes: [closedTradeRecord(key, at)] }))
          }
          const ids = (range?: Parameters<TradeStoreService["closedTrades"]>[0]) =>
            Effect.map(store.closedTrades(range), (rows) => rows.map((r) => r.close_id))
          expect(yield* ids()).toEqual(["c-1", "c-2", "c-3a", "c-3b", "c-4", "c-5"])
          expect(yield* ids({ from: 2000, to: 4000 })).toEqual(["c-2", "c-3a", "c-3b"])
          expect(yield* ids({ from: 3000 })).toEqual(["c-3a", "c-3b", "c-4", "c-5"])
          expect(yield* ids({ from: 3001 })).toEqual(["c-4", "c-5"])
          expect(yield* ids({ to: 3000 })).toEqual(["c-1", "c-2"])
          expect(yield* ids({ limit: 2 })).toEqual(["c-1", "c-2"])
          expect(yield* ids({ from: 2000, to: 5000, limit: 2 })).toEqual(["c-2", "c-3a"])
          expect(yield* ids({ limit: 0 })).toEqual([])
          expect(yield* ids({ from: 4000, to: 2000 })).toEqual([])
          expect(yield* ids({ from: 6000 })).toEqual([])
        })
      ))

    it.effect("fills: from inclusive, to exclusive, oldest first, limit", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const all = [fillRecord("f-3", 300), fillRecord("f-1", 100), fillRecord("f-2b", 200), fillRecord("f-2a", 200)]
          yield* store.commit(storeBatch("ev-1", { fills: all.slice(0, 2) }))
          yield* store.commit(storeBatch("ev-2", { fills: all.slice(2) }))
          const keys = (range?: Parameters<TradeStoreService["fills"]>[0]) =>
            Effect.map(store.fills(range), (rows) => rows.map((r) => r.fill_key))
          expect(yield* keys()).toEqual(["f-1", "f-2a", "f-2b", "f-3"])
          expect(yield* keys({ from: 200 })).toEqual(["f-2a", "f-2b", "f-3"])
          expect(yield* keys({ to: 200 })).toEqual(["f-1"])
          expect(yield* keys({ from: 100, to: 300, limit: 1 })).toEqual(["f-1"])
          expect((yield* store.fills({ from: 300 }))[0]).toEqual(all[0])
        })
      ))

    it.effect("isProcessed and counts follow commits, including batches with no records", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-empty", { eventType: "market.tick" }))
          yield* store.commit(storeBatch("ev-open", { upsertOpenTrades: [openTradeRecord("t-1")] }))
          yield* store.commit(storeBatch("ev-close", {
            deleteOpenTrades: ["t-1"],
            closes: [closedTradeRecord("c-1", 10)],
            fills: [fillRecord("f-1", 10), fillRecord("f-2", 11)]
          }))
          expect(yield* store.isProcessed("ev-empty")).toBe(true)
          expect(yield* store.isProcessed("ev-close")).toBe(true)
          expect(yield* store.isProcessed("ev-other")).toBe(false)
          expect(yield* store.counts).toEqual({ openTrades: 0, closes: 1, fills: 2, events: 3, parked: 0 })
        })
      ))

    it.effect("realizedBuckets: realized PnL and fees of every close, statistics of the round trips ended in each bucket", () =>
      withStore((store) =>
        Effect.gen(function*() {
          expect(yield* store.realizedBuckets).toEqual([])
          const q = 15 * 60_000
          const base = 1_700_000_100_000 - (1_700_000_100_000 % q)
          const fee = (id: string, at: number, trade_id: string, paid: number, remaining_size: number) =>
            closedTradeRecord(id, at, { trade_id, quantity: 0, realized_pnl: -paid, fees: paid, remaining_size, round_trip_pnl: null })
          const closes = [
            // t-a: an opening fee, a partial close, the final close: one win of 15.5.
            fee("a-fee", base + 1, "t-a", 0.5, 2),
            closedTradeRecord("a-1", base + 2, { trade_id: "t-a", quantity: 1, remaining_size: 1, realized_pnl: 10, fees: 0.25 }),
            closedTradeRecord("a-2", base + q - 1, { trade_id: "t-a", quantity: 1, realized_pnl: 6, fees: 0.25, round_trip_pnl: 15.5 }),
            // t-b: its close earns back its opening fee exactly: a break-even.
            fee("b-fee", base + 3, "t-b", 0.25, 1),
            closedTradeRecord("b-1", base + 4, { trade_id: "t-b", quantity: 1, realized_pnl: 0.25, fees: 0.25, round_trip_pnl: 0 }),
            // t-c: a one-close loss.
            closedTradeRecord("c-1", base + 5, { trade_id: "t-c", realized_pnl: -4.25, fees: 0.5 }),
            // t-d straddles: a partial close in the first bucket, the round trip (a loss) ends in the second.
            closedTradeRecord("d-1", base + 6, { trade_id: "t-d", quantity: 0.5, remaining_size: 0.5, realized_pnl: 8, fees: 0 }),
            closedTradeRecord("d-2", base + q, { trade_id: "t-d", quantity: 0.5, realized_pnl: -10, fees: 0.5, round_trip_pnl: -2 }),
            // An orphan close (no quantity known) is a round trip of its own; a fee of a fill that adds.
            closedTradeRecord("o-1", base + q + 1, { quantity: 0, orphan: true, realized_pnl: 3, fees: 0, entry_price: null, opened_at: null }),
            fee("f-fee", base + 2 * q - 1, "SOLUSDT:LONG", 0.125, 3),
            // A bucket with only a partial close: realized PnL, no round trip.
            closedTradeRecord("e-1", base + 5 * q, { trade_id: "t-e", quantity: 1, remaining_size: 2, realized_pnl: 1.5, fees: 0 })
          ]
          yield* store.commit(storeBatch("ev-1", { closes: closes.slice(0, 4) }))
          yield* store.commitMany([
            storeBatch("ev-2", { closes: closes.slice(4, 8) }),
            storeBatch("ev-3", { closes: closes.slice(8) })
          ])
          const buckets = yield* store.realizedBuckets
          expect(buckets).toEqual(RealizedBuckets.fromCloses(closes))
          expect(buckets).toEqual([
            {
              start: base,
              realized_pnl: -0.5 + 10 + 6 - 0.25 + 0.25 - 4.25 + 8,
              fees: 2,
              gross_profit: 15.5,
              gross_loss: 4.25,
              round_trips: 3,
              wins: 1,
              losses: 1,
              breakevens: 1,
              best: 15.5,
              worst: -4.25
            },
            {
              start: base + q,
              realized_pnl: -10 + 3 - 0.125,
              fees: 0.625,
              gross_profit: 3,
              gross_loss: 2,
              round_trips: 2,
              wins: 1,
              losses: 1,
              breakevens: 0,
              best: 3,
              worst: -2
            },
            {
              start: base + 5 * q,
              realized_pnl: 1.5,
              fees: 0,
              gross_profit: 0,
              gross_loss: 0,
              round_trips: 0,
              wins: 0,
              losses: 0,
              breakevens: 0,
              best: null,
              worst: null
            }
          ])
        })
      ))

    it.effect("realizedBuckets equals the reference computation over random closes", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(randomCloses, (closes) =>
            Effect.runPromise(withStore((store) =>
              Effect.gen(function*() {
                yield* store.commitMany(closes.map((close) => storeBatch(`ev-${close.close_id}`, { closes: [close] })))
                expect(yield* store.realizedBuckets).toEqual(RealizedBuckets.fromCloses(closes))
              })
            ))
          ),
          { numRuns: options.propertyRuns ?? 50 }
        )
      ))

    it.effect("closeRollup equals the reference (CloseRollup.fromCloses) whatever the order and cut of the commits", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(rollupCloses(false), fc.integer({ min: 0, max: 3 * 96 }), fc.integer({ min: 0, max: 3 * 96 }), ({ calls, closes }, a, b) =>
            Effect.runPromise(withStore((store) =>
              Effect.gen(function*() {
                for (const [i, call] of calls.entries()) {
                  // One batch per close, several batches per call: closes of one call fold together.
                  yield* store.commitMany(call.map((close) => storeBatch(`ev-${i}-${close.close_id}`, { closes: [close] })))
                }
                const reference = CloseRollup.fromCloses(closes)
                const from = Date.UTC(2026, 2, 1) + Math.min(a, b) * CloseRollup.QUARTER
                const to = Date.UTC(2026, 2, 1) + Math.max(a, b) * CloseRollup.QUARTER
                for (const span of CloseRollup.SPANS) {
                  for (const bySymbol of [false, true]) {
                    expect(yield* store.closeRollup({ span, bySymbol })).toEqual(RollupQuery.select(reference, { span, bySymbol }))
                    expect(yield* store.closeRollup({ span, bySymbol, from, to })).toEqual(RollupQuery.select(reference, { span, bySymbol, from, to }))
                  }
                }
              })
            ))
          ),
          { numRuns: options.propertyRuns ?? 50 }
        )
      ))

    it.effect("closeRollupTotals sums the rows of a range per group and symbol, as RollupQuery.totalsOf", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(rollupCloses(true), fc.integer({ min: -12, max: 12 }), ({ calls, closes }, shiftQuarters) =>
            Effect.runPromise(withStore((store) =>
              Effect.gen(function*() {
                for (const [i, call] of calls.entries()) yield* store.commitMany(call.map((close) => storeBatch(`ev-${i}-${close.close_id}`, { closes: [close] })))
                const reference = CloseRollup.fromCloses(closes)
                const hourOfWeek = { size: 3_600_000, shift: shiftQuarters * CloseRollup.QUARTER + 72 * 3_600_000, cycle: 168 }
                const localDay = { size: 86_400_000, shift: shiftQuarters * CloseRollup.QUARTER }
                for (const span of CloseRollup.SPANS) {
                  for (const bySymbol of [false, true]) {
                    for (const grouping of [undefined, hourOfWeek, localDay]) {
                      expect(yield* store.closeRollupTotals({ span, bySymbol }, grouping))
                        .toEqual(RollupQuery.totalsOf(RollupQuery.select(reference, { span, bySymbol }), grouping))
                    }
                  }
                }
              })
            ))
          ),
          { numRuns: options.propertyRuns ?? 50 }
        )
      ))

    it.effect("closedTrades gives round_trip_pnl back as stored: null, zero, negative, positive", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const closes = [
            closedTradeRecord("c-1", 1, { quantity: 0.5, remaining_size: 0.5, round_trip_pnl: null }),
            closedTradeRecord("c-2", 2, { quantity: 0, realized_pnl: -0.1, fees: 0.1, remaining_size: 1, round_trip_pnl: null }),
            closedTradeRecord("c-3", 3, { realized_pnl: 0.1, round_trip_pnl: 0 }),
            closedTradeRecord("c-4", 4, { realized_pnl: -7.5, round_trip_pnl: -12.345678901234567 }),
            closedTradeRecord("c-5", 5, { round_trip_pnl: 1e-300 }),
            closedTradeRecord("c-6", 6, { quantity: 0, orphan: true, realized_pnl: 3, round_trip_pnl: 3 }),
            closedTradeRecord("c-7", 7, { round_trip_pnl: 123_456_789.125 })
          ]
          yield* store.commit(storeBatch("ev-1", { closes }))
          const stored = yield* store.closedTrades()
          expect(stored).toEqual(closes)
          expect(stored.map((c) => c.round_trip_pnl)).toEqual([null, null, 0, -12.345678901234567, 1e-300, 3, 123_456_789.125])
        })
      ))

    it.effect("commitMany writes its batches in order and answers each as commit would", () =>
      withStore((store) =>
        Effect.gen(function*() {
          expect(yield* store.commitMany([])).toEqual([])
          const results = yield* store.commitMany([
            storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1", { size: 1 }), openTradeRecord("t-2")] }),
            storeBatch("ev-2", { upsertOpenTrades: [openTradeRecord("t-1", { size: 2 })], deleteOpenTrades: ["t-2"] }),
            storeBatch("ev-3", { upsertOpenTrades: [openTradeRecord("t-2", { size: 3 })], closes: [closedTradeRecord("c-1", 10)] }),
            storeBatch("ev-4", { upsertNetPositions: [netPositionRecord("BTCUSDT", "LONG")] }),
            storeBatch("ev-5", { deleteNetPositions: [{ symbol: "BTCUSDT", side: "LONG" }], fills: [fillRecord("f-1", 20)] })
          ])
          expect(results).toEqual(["committed", "committed", "committed", "committed", "committed"])
          const after = yield* contents(store)
          expect(after.openTrades.map((t) => [t.trade_id, t.size])).toEqual([["t-1", 2], ["t-2", 3]])
          expect(after.netPositions).toEqual([])
          expect(after.counts).toEqual({ openTrades: 2, closes: 1, fills: 1, events: 5, parked: 0 })
          expect(yield* store.processedAmong(["ev-1", "ev-2", "ev-3", "ev-4", "ev-5"])).toEqual(
            new Set(["ev-1", "ev-2", "ev-3", "ev-4", "ev-5"])
          )
        })
      ))

    it.effect("commitMany: a key committed before, or earlier in the same call, is a duplicate that writes nothing", () =>
      withStore((store) =>
        Effect.gen(function*() {
          expect(yield* store.commit(storeBatch("ev-old", { upsertOpenTrades: [openTradeRecord("t-old")] }))).toBe("committed")
          const results = yield* store.commitMany([
            storeBatch("ev-a", { upsertOpenTrades: [openTradeRecord("t-a")], closes: [closedTradeRecord("c-a", 10)] }),
            // Same key again in the same call: its records (even clashing ones) are not written.
            storeBatch("ev-a", {
              upsertOpenTrades: [openTradeRecord("t-a", { size: 99 }), openTradeRecord("t-x")],
              closes: [closedTradeRecord("c-a", 11)],
              fills: [fillRecord("f-x", 12)],
              parkCloses: [parkedCloseRecord("p-x", "t-x")]
            }),
            storeBatch("ev-old", { deleteOpenTrades: ["t-old"] }),
            storeBatch("ev-b", { fills: [fillRecord("f-b", 13)] })
          ])
          expect(results).toEqual(["committed", "duplicate", "duplicate", "committed"])
          const after = yield* contents(store)
          expect(after.openTrades.map((t) => [t.trade_id, t.size])).toEqual([["t-a", 0.25], ["t-old", 0.25]])
          expect(after.closes.map((c) => c.closed_at)).toEqual([10])
          expect(after.fills.map((f) => f.fill_key)).toEqual(["f-b"])
          expect(after.counts).toEqual({ openTrades: 2, closes: 1, fills: 1, events: 3, parked: 0 })
        })
      ))

    it.effect("commitMany is all or nothing: one failing batch and none of the call is written", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-0", {
            closes: [closedTradeRecord("c-0", 5)],
            parkCloses: [parkedCloseRecord("p-0", "t-late")]
          }))
          const before = yield* contents(store)
          const good = [
            storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1")], closes: [closedTradeRecord("c-1", 10)] }),
            storeBatch("ev-2", {
              fills: [fillRecord("f-2", 20)],
              upsertNetPositions: [netPositionRecord("ETHUSDT", "SHORT")],
              parkCloses: [parkedCloseRecord("p-2", "t-9")],
              releaseParked: ["p-0"]
            }),
            storeBatch(undefined, { deleteOpenTrades: ["t-1"], closes: [closedTradeRecord("c-3", 30)] })
          ] as const
          const failing = [
            // A close whose key exists already, last in the call.
            storeBatch("ev-bad", { closes: [closedTradeRecord("c-0", 40)] }),
            // A fill key that an earlier batch of the same call adds.
            storeBatch("ev-bad", { fills: [fillRecord("f-2", 40)] }),
            // A close that an earlier batch of the same call parks.
            storeBatch("ev-bad", { parkCloses: [parkedCloseRecord("p-2", "t-9")] })
          ]
          for (const bad of failing) {
            const error = yield* Effect.flip(store.commitMany([...good, bad]))
            expect(error._tag).toBe("StoreError")
            expect(error.retryable).toBe(false)
            expect(yield* contents(store)).toEqual(before)
            expect(yield* store.processedAmong(["ev-1", "ev-2", "ev-bad"])).toEqual(new Set())
          }
          // A failing batch first: the later good ones are not written either.
          expect((yield* Effect.flip(store.commitMany([failing[0] as StoreBatch, ...good])))._tag).toBe("StoreError")
          expect(yield* contents(store)).toEqual(before)

          // Nothing was burnt: the good batches commit.
          expect(yield* store.commitMany(good)).toEqual(["committed", "committed", "committed"])
          const after = yield* contents(store)
          expect(after.openTrades).toEqual([])
          expect(after.closes.map((c) => c.close_id)).toEqual(["c-0", "c-1", "c-3"])
          expect(after.parked.map((p) => p.event_key)).toEqual(["p-2"])
          expect(after.counts).toEqual({ openTrades: 0, closes: 3, fills: 1, events: 3, parked: 1 })
        })
      ))

    it.effect("processedAmong answers which keys were committed, for more keys than one statement takes", () =>
      withStore((store) =>
        Effect.gen(function*() {
          expect(yield* store.processedAmong([])).toEqual(new Set())
          const committed = Array.from({ length: 700 }, (_, i) => `ev-${i * 2}`)
          yield* store.commitMany(committed.map((key) => storeBatch(key, { eventType: "market.tick" })))
          const asked = Array.from({ length: 1400 }, (_, i) => `ev-${i}`)
          asked.push("ev-0", "ev-2", "", "ev-x'); drop table processed_events; --")
          const seen = yield* store.processedAmong(asked)
          expect([...seen].sort()).toEqual([...committed].sort())
          expect(yield* store.processedAmong(["ev-1", "ev-4", "ev-4"])).toEqual(new Set(["ev-4"]))
          expect((yield* store.counts).events).toBe(700)
        })
      ))

    it.effect("parked closes are kept until released, listed by (parked_at, event_key), values intact", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const p1 = parkedCloseRecord("p-1", "t-1", { parked_at: 2000 })
          const p2 = parkedCloseRecord("p-2", "t-2", { parked_at: 1000 })
          const p3 = parkedCloseRecord("p-3", "t-1", { parked_at: 1000, event: "{\"type\":\"trade.closed\",\"x\":\"\\\"quoted\\\"\"}" })
          yield* store.commit(storeBatch("p-1", { eventType: "trade.closed", parkCloses: [p1] }))
          yield* store.commit(storeBatch("p-3", { eventType: "trade.closed", parkCloses: [p3, p2] }))
          expect(yield* store.parkedCloses).toEqual([p2, p3, p1])
          expect((yield* store.counts).parked).toBe(3)
          // A parked close's key is processed: a redelivery is a duplicate.
          expect(yield* store.commit(storeBatch("p-1", { parkCloses: [p1] }))).toBe("duplicate")

          // Its trade opens: the open and the released close are one call, the release without a key.
          const results = yield* store.commitMany([
            storeBatch("open-t-1", { upsertOpenTrades: [openTradeRecord("t-1")] }),
            storeBatch(undefined, {
              eventType: "trade.closed",
              upsertOpenTrades: [openTradeRecord("t-1", { size: 0.15 })],
              closes: [closedTradeRecord("c-p-3", 3000, { trade_id: "t-1", remaining_size: 0.15 })],
              releaseParked: ["p-3", "p-never-parked"]
            })
          ])
          expect(results).toEqual(["committed", "committed"])
          expect((yield* store.parkedCloses).map((p) => p.event_key)).toEqual(["p-2", "p-1"])
          expect((yield* store.openTrades).map((t) => t.size)).toEqual([0.15])
          expect(yield* store.counts).toEqual({ openTrades: 1, closes: 1, fills: 0, events: 3, parked: 2 })

          // Parked and released in one batch ends released; released, then parked again later, is parked.
          yield* store.commit(storeBatch("p-4", { parkCloses: [parkedCloseRecord("p-4", "t-4")], releaseParked: ["p-4"] }))
          yield* store.commitMany([
            storeBatch(undefined, { releaseParked: ["p-2"] }),
            storeBatch(undefined, { parkCloses: [parkedCloseRecord("p-2", "t-2", { parked_at: 5000 })] })
          ])
          expect((yield* store.parkedCloses).map((p) => [p.event_key, p.parked_at])).toEqual([["p-1", 2000], ["p-2", 5000]])
        })
      ))

    it.effect("a batch without an eventKey is always committed and records no processed event", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const release = storeBatch(undefined, { eventType: "trade.closed", closes: [closedTradeRecord("c-1", 10)] })
          expect(yield* store.commit(release)).toBe("committed")
          expect(yield* store.commit(storeBatch(undefined, { upsertOpenTrades: [openTradeRecord("t-1")] }))).toBe("committed")
          expect(yield* store.commitMany([storeBatch(undefined), storeBatch(undefined), storeBatch("ev-1")])).toEqual([
            "committed",
            "committed",
            "committed"
          ])
          expect(yield* store.counts).toEqual({ openTrades: 1, closes: 1, fills: 0, events: 1, parked: 0 })
          // Its records are still checked: the same close again fails.
          expect((yield* Effect.flip(store.commit(release)))._tag).toBe("StoreError")
        })
      ))

    it.effect("streamCloses and streamFills give what closedTrades and fills give, across pages and equal times", () =>
      withStore((store) =>
        Effect.gen(function*() {
          // More rows than two pages (Paging.DEFAULT_PAGE_SIZE), 700 at each time, ids not in
          // insertion order: a page boundary falls inside a run of equal times.
          const n = 4_500
          const closes = Array.from({ length: n }, (_, i) =>
            closedTradeRecord(`c-${(i * 7_919) % n}`, 10_000 + Math.floor(i / 700), { realized_pnl: i / 8 }))
          const fills = Array.from({ length: n }, (_, i) => fillRecord(`f-${(i * 7_919) % n}`, 10_000 + Math.floor(i / 700)))
          yield* store.commit(storeBatch("bulk", { closes, fills }))
          const all = <A>(stream: Stream.Stream<A, unknown>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)
          for (const range of [undefined, { from: 10_001, to: 10_005 }, { from: 10_002 }, { to: 10_001 }, { limit: 2_345 }, { from: 20_000 }]) {
            const streamed = yield* all(store.streamCloses(range))
            expect(streamed.length, JSON.stringify(range)).toBe((yield* store.closedTrades(range)).length)
            expect(streamed).toEqual(yield* store.closedTrades(range))
            expect(yield* all(store.streamFills(range))).toEqual(yield* store.fills(range))
          }
          expect((yield* all(store.streamCloses())).length).toBe(n)
        })
      ))

    it.effect("saveMarks keeps the latest price of each symbol; an older one does not replace it", () =>
      withStore((store) =>
        Effect.gen(function*() {
          expect(yield* store.marks).toEqual([])
          yield* store.saveMarks([
            { symbol: "ETHUSDT", price: 3_000.5, at: 2_000 },
            { symbol: "BTCUSDT", price: 50_000.25, at: 1_000 }
          ])
          yield* store.saveMarks([
            { symbol: "ETHUSDT", price: 1, at: 1_999 },
            { symbol: "BTCUSDT", price: 51_000, at: 1_000 }
          ])
          expect(yield* store.marks).toEqual([
            { symbol: "BTCUSDT", price: 51_000, at: 1_000 },
            { symbol: "ETHUSDT", price: 3_000.5, at: 2_000 }
          ])
        })
      ))

    it.effect("saveMarks also keeps the last price of each symbol per UTC day; dailyMarks reads them by day", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const D = 86_400_000
          const day = 20_000
          expect(yield* store.dailyMarks()).toEqual([])
          yield* store.saveMarks([{ symbol: "BTCUSDT", price: 100, at: day * D + 1_000 }, { symbol: "ETHUSDT", price: 10, at: day * D + 5_000 }])
          yield* store.saveMarks([{ symbol: "BTCUSDT", price: 101, at: day * D + 2_000 }, { symbol: "ETHUSDT", price: 9, at: day * D + 4_000 }])
          yield* store.saveMarks([{ symbol: "BTCUSDT", price: 110, at: (day + 1) * D }])
          expect(yield* store.dailyMarks()).toEqual([
            { symbol: "BTCUSDT", day, price: 101, at: day * D + 2_000 },
            { symbol: "ETHUSDT", day, price: 10, at: day * D + 5_000 },
            { symbol: "BTCUSDT", day: day + 1, price: 110, at: (day + 1) * D }
          ])
          expect(yield* store.dailyMarks({ from: (day + 1) * D })).toEqual([{ symbol: "BTCUSDT", day: day + 1, price: 110, at: (day + 1) * D }])
          expect((yield* store.dailyMarks({ to: (day + 1) * D })).map((m) => m.symbol)).toEqual(["BTCUSDT", "ETHUSDT"])
        })
      ))
  })
}
