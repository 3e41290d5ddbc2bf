/**
 * Recovery: the portfolio as the stores hold it — open trades and positions, the PnL windows
 * (from per-bucket sums, not every close), last prices and parked closes from the
 * `TradeStore`; the drawdown peaks from the `EquityHistory`. Run at start, and again whenever a
 * batch could not be committed (the state it had applied is thrown away and read back).
 */
import { Effect } from "effect"
import * as Calendar from "../../domain/Calendar.js"
import * as Drawdown from "../../domain/Drawdown.js"
import * as Portfolio from "../../domain/Portfolio.js"
import type { EquityHistoryService } from "../../ports/EquityHistory.js"
import type { StoreError, TradeStoreService } from "../../ports/TradeStore.js"
import type { MarkRecord } from "../../schema/Records.js"

/** The portfolio read back from the trade store; `marks` (when given) win over the saved ones when newer. */
export const portfolio = (
  options: Portfolio.Options,
  store: TradeStoreService,
  marks?: Iterable<MarkRecord>
): Effect.Effect<Portfolio.Portfolio, StoreError> =>
  Effect.map(
    Effect.all([store.openTrades, store.netPositions, store.realizedBuckets, store.marks, store.parkedCloses]),
    ([openTrades, netPositions, realizedBuckets, saved, parked]) =>
      Portfolio.restore(options, {
        openTrades,
        netPositions,
        realizedBuckets,
        marks: marks === undefined ? saved : [...saved, ...marks],
        parked
      })
  )

/** The drawdown tracker from the equity history: all-time extremes and the last 8 days of samples. */
export const drawdown = (
  calendar: Calendar.Calendar,
  history: EquityHistoryService,
  now: number
): Effect.Effect<Drawdown.Drawdown, StoreError> =>
  Effect.map(
    Effect.all([history.extremes, history.range({ from: now - 8 * Calendar.DAY })]),
    ([extremes, recent]) => Drawdown.restore(calendar, extremes, recent)
  )

/** The current marks of a portfolio as records, to carry over a reload. */
export const marksOf = (state: Portfolio.Portfolio): Array<MarkRecord> =>
  [...state.marks].map(([symbol, mark]) => ({ symbol, price: mark.price, at: mark.at }))
