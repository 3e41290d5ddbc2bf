/**
 * The queries' shared valuation: one {@link View} answers every query until what it was built
 * from changes — the state object (replaced on a reload) or its version (every applied event,
 * price or parked close), the cash or its staleness, the equity samples (peaks), the day in
 * the portfolio's zone — or `maxAgeMs` passes (the weekly window and "days since peak" move
 * with the clock alone). Valuing is O(positions); a hit costs a cash read and a few compares, a
 * `peek` only the compares.
 */
import { Clock, Effect } from "effect"
import * as Calendar from "../../domain/Calendar.js"
import * as Valuation from "../../domain/Valuation.js"
import type { CashUnavailable } from "../../ports/AccountBalance.js"
import type { ExposureBreakdown, NetPosition } from "../../schema/Responses.js"
import type { View } from "../PortfolioService.js"
import type { Portfolio } from "../../domain/Portfolio.js"
import type { StateHolder, Valuer } from "./publisher.js"

interface Entry {
  readonly state: Portfolio
  readonly version: number
  readonly cash: number
  readonly staleSince: number | null
  readonly samples: number
  readonly day: number
  readonly view: View
}

const lazy = <A>(compute: () => A): (() => A) => {
  let done = false
  let value: A
  return () => {
    if (!done) {
      value = compute()
      done = true
    }
    return value
  }
}

/** How long a view's cash counts as checked for {@link Views.peek}: a balance change shows within this. */
export const CASH_RECHECK_MS = 100

/** The views of one service. */
export interface Views {
  /** The current view: reads the cash, then answers the last view if nothing it depends on changed. */
  readonly view: Effect.Effect<View, CashUnavailable>
  /**
   * The last view, if it is current at `now` (epoch ms) without reading the cash again: the state,
   * its version, the equity samples and the day are those it was built from, it is younger than
   * `maxAgeMs`, and the cash was read within {@link CASH_RECHECK_MS} (a balance port's new value
   * shows that much later; paper cash follows the state, which is checked). A plain function, no
   * `Effect`, for a hand-written fast path; `undefined` sends it to {@link Views.view}.
   */
  readonly peek: (now: number) => View | undefined
}

/**
 * The views of the state in `holder`, valued with `valuer`'s cash; `startedAt` makes the
 * tags of one process differ from every other's.
 */
export const make = (holder: StateHolder, valuer: Valuer, maxAgeMs: number, startedAt: number): Views => {
  let last: Entry | undefined
  let cashCheckedAt = Number.NEGATIVE_INFINITY
  let seq = 0
  const prefix = startedAt.toString(36)
  const current = (e: Entry | undefined, now: number): e is Entry => {
    if (e === undefined) return false
    const state = holder.current
    return e.state === state && e.version === state.version && e.samples === holder.drawdown.count &&
      now >= e.view.at && now - e.view.at < maxAgeMs && e.day === Calendar.dayKey(state.calendar, now)
  }
  const view = Effect.flatMap(valuer.cashNow, (c) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      cashCheckedAt = now
      const e = last
      if (current(e, now) && e.cash === c.cash && e.staleSince === c.staleSince) return e.view
      const state = holder.current
      const drawdown = holder.drawdown
      const v = Object.assign(Valuation.value(state, c.cash, now), { cashStaleSince: c.staleSince })
      // What reads the mutable PnL and drawdown state is computed now; the rest only needs `v`.
      const next: View = {
        tag: `${prefix}-${(++seq).toString(36)}`,
        at: now,
        snapshot: Valuation.snapshot(state, v, drawdown),
        pnl: Valuation.pnl(state, v),
        drawdown: Valuation.drawdown(drawdown, v),
        exposure: lazy((): ExposureBreakdown => Valuation.exposure(v)),
        netPositions: lazy((): ReadonlyArray<NetPosition> => Valuation.netPositions(v))
      }
      last = {
        state, version: state.version, cash: c.cash, staleSince: c.staleSince, samples: drawdown.count,
        day: Calendar.dayKey(state.calendar, now), view: next
      }
      return next
    })
  )
  const peek = (now: number): View | undefined => {
    const e = last
    return now >= cashCheckedAt && now - cashCheckedAt < CASH_RECHECK_MS && current(e, now) ? e.view : undefined
  }
  return { view, peek }
}
