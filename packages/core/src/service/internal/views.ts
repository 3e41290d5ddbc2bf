/**
 * The queries' shared valuation: one {@link View} answers every query until what it was built
 * from changes — the state object (replaced on a reload) or its version (every applied event,
 * price or parked close), the cash or its staleness, the equity samples (peaks), the day in
 * the portfolio's zone — or `maxAgeMs` passes (the weekly window and "days since peak" move
 * with the clock alone). Valuing is O(positions); a hit costs a cash read and a few compares.
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

/**
 * The current view of the state in `holder`, valued with `valuer`'s cash; `startedAt` makes the
 * tags of one process differ from every other's.
 */
export const make = (holder: StateHolder, valuer: Valuer, maxAgeMs: number, startedAt: number): Effect.Effect<View, CashUnavailable> => {
  let last: Entry | undefined
  let seq = 0
  const prefix = startedAt.toString(36)
  return Effect.flatMap(valuer.cashNow, (c) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const state = holder.current
      const drawdown = holder.drawdown
      const day = Calendar.dayKey(state.calendar, now)
      const e = last
      if (
        e !== undefined && e.state === state && e.version === state.version && e.cash === c.cash && e.staleSince === c.staleSince &&
        e.samples === drawdown.count && e.day === day && now >= e.view.at && now - e.view.at < maxAgeMs
      ) return e.view
      const v = Object.assign(Valuation.value(state, c.cash, now), { cashStaleSince: c.staleSince })
      // What reads the mutable PnL and drawdown state is computed now; the rest only needs `v`.
      const view: View = {
        tag: `${prefix}-${(++seq).toString(36)}`,
        at: now,
        snapshot: Valuation.snapshot(state, v, drawdown),
        pnl: Valuation.pnl(state, v),
        drawdown: Valuation.drawdown(drawdown, v),
        exposure: lazy((): ExposureBreakdown => Valuation.exposure(v)),
        netPositions: lazy((): ReadonlyArray<NetPosition> => Valuation.netPositions(v))
      }
      last = { state, version: state.version, cash: c.cash, staleSince: c.staleSince, samples: drawdown.count, day, view }
      return view
    })
  )
}
