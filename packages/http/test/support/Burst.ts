/**
 * A burst of events posted to the service over HTTP by concurrent clients, for the tests that
 * break something in the middle of it (`test/Postgres*.test.ts`):
 *
 * - the events ({@link Streams.mixed}) are split into lanes by trade cycle, so every trade's
 *   open, closes and fill are in one lane, in order; each lane posts its events one after the
 *   other, the lanes run concurrently (the service group-commits them);
 * - a lane records which of its events were **acknowledged** (answered 202: durable) and where
 *   it stopped;
 * - {@link oracle} is what the core computes from all the events in order (`Backtest`), and
 *   {@link view} the part of the service's answers to compare with it.
 */
import { Backtest } from "@portfolio/core"
import { Effect } from "effect"
import * as Http from "./Http.js"
import * as Streams from "./Streams.js"

/** One client's share of the burst and how far it got. */
export interface Lane {
  readonly events: ReadonlyArray<Streams.BusEvent>
  /** Index of the next event to post. */
  next: number
  /** The events answered 202, in the order they were posted. */
  readonly acknowledged: Array<Streams.BusEvent>
  /** Answers other than 202 (with the reason), and lost connections, seen while retrying. */
  readonly refusals: Array<string>
}

/** Splits `events` into `n` lanes by trade cycle (20 events). */
export const lanes = (events: ReadonlyArray<Streams.BusEvent>, n: number): Array<Lane> => {
  const out: Array<Lane> = Array.from({ length: n }, () => ({ events: [], next: 0, acknowledged: [], refusals: [] }))
  for (const e of events) (out[Math.floor(e.seq / 20) % n]!.events as Array<Streams.BusEvent>).push(e)
  return out
}

/** Every event acknowledged by any lane. */
export const acknowledged = (all: ReadonlyArray<Lane>): Array<Streams.BusEvent> => all.flatMap((l) => l.acknowledged)

/** The body of `POST /api/events` for an event (payload as an object, trace id `seq-<n>`). */
export const post = (url: string, e: Streams.BusEvent) =>
  Http.post(url, "/api/events", { event_type: e.type, payload: e.payload, trace_id: `seq-${e.seq}`, source: "execution_service" })

/**
 * Posts the lane's events from `next` on. `until: "refused"` stops at the first answer that is
 * not 202 or at a lost connection (the service was killed); `until: "done"` retries such an
 * event every `retryMs` until it is acknowledged (a client that retries what was not
 * acknowledged), failing only after `giveUpMs` of refusals in a row.
 */
export const runLane = (url: () => string, lane: Lane, until: "refused" | "done", options: { readonly retryMs?: number; readonly giveUpMs?: number } = {}) =>
  Effect.gen(function* () {
    let refusedSince: number | undefined
    while (lane.next < lane.events.length) {
      const e = lane.events[lane.next]!
      const answer = yield* Effect.either(post(url(), e))
      if (answer._tag === "Right" && answer.right.status === 202) {
        lane.acknowledged.push(e)
        lane.next++
        refusedSince = undefined
        continue
      }
      lane.refusals.push(answer._tag === "Left" ? `lost: ${answer.left.message}` : `${answer.right.status}: ${answer.right.text.slice(0, 200)}`)
      if (until === "refused") return
      const now = Date.now()
      refusedSince ??= now
      if (now - refusedSince > (options.giveUpMs ?? 90_000)) {
        return yield* Effect.fail(new Error(`event ${e.seq} still refused after ${options.giveUpMs ?? 90_000} ms: ${lane.refusals.at(-1)}`))
      }
      yield* Effect.sleep(options.retryMs ?? 100)
    }
  })

/** What the core computes from `events` in their order. */
export const oracle = (events: ReadonlyArray<Streams.BusEvent>) => {
  const bt = Backtest.make({ initialCash: 10_000 })
  for (const e of events) Backtest.feedEnvelope(bt, Streams.envelopeOf(e))
  return { positions: positionsView(Backtest.snapshot(bt).positions), pnl: pnlView(Backtest.pnl(bt)) }
}

const positionsView = (ps: ReadonlyArray<any>) =>
  ps.map((p) => ({ trade_id: p.trade_id, symbol: p.symbol, side: p.side, size: p.size, entry_price: p.entry_price, realized_pnl: p.realized_pnl }))
    .sort((a, b) => (a.trade_id < b.trade_id ? -1 : a.trade_id > b.trade_id ? 1 : 0))

const pnlKeys = ["realized_pnl_total", "num_closed_trades", "num_winning_trades", "num_losing_trades", "gross_profit", "gross_loss", "fees_total", "best_trade_pnl", "worst_trade_pnl"] as const

const pnlView = (pnl: any) => Object.fromEntries(pnlKeys.map((k) => [k, pnl[k]]))

/** The service's open positions and trade statistics, as {@link oracle} gives them. */
export const view = (url: string) =>
  Effect.gen(function* () {
    const snapshot = (yield* Http.get(url, "/api/portfolio/snapshot")).body
    const pnl = (yield* Http.get(url, "/api/portfolio/pnl")).body
    return { positions: positionsView(snapshot.positions), pnl: pnlView(pnl) }
  })

/** Whether an event has an idempotency key of its own (ticks have none: posting one again applies it again). */
export const isKeyed = (e: Streams.BusEvent): boolean => e.type !== "market.tick"
