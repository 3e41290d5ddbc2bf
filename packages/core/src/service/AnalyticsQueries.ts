/**
 * The history and analytics queries of the running service (DESIGN.md §6, §11): the domain's
 * pure math (`Analytics`, `EquityCurve`, `DrawdownHistory`, `TradeAnalytics`, `TradeBreakdown`,
 * `RiskBuckets`) over what the ports keep.
 *
 * - the equity curve and the drawdown history read `EquityHistory.bucketed` (at most 2 000
 *   buckets, from the store's rollup);
 * - the return statistics read one daily close per local day of the configured zone
 *   (`EquityHistory.lastBefore` at each day's end), never the samples;
 * - the trade figures read the close rollup (`TradeStore.closeRollup`, `closeRollupTotals`:
 *   the closes summed per UTC day and per 15 minutes, `RollupCover` says which rows cover a
 *   range) and only the closes of the partial 15 minutes at either end of the range, so a year
 *   of 100 000 round trips is a few hundred rows;
 * - risk buckets and open trades read the current snapshot.
 *
 * Windows end now (the service clock): `30d`, `90d`, `1y` (365 days), or `all`.
 *
 * @since 0.3.0
 */
import { Clock, Effect } from "effect"
import * as Analytics from "../domain/Analytics.js"
import * as Calendar from "../domain/Calendar.js"
import * as CloseRollup from "../domain/CloseRollup.js"
import * as DrawdownHistory from "../domain/DrawdownHistory.js"
import * as EquityCurve from "../domain/EquityCurve.js"
import { make as emptyPortfolio, type Options, resolveOptions, sectorOf } from "../domain/PortfolioState.js"
import * as RiskBuckets from "../domain/RiskBuckets.js"
import * as RollupCover from "../domain/RollupCover.js"
import type * as RollupQuery from "../domain/RollupQuery.js"
import * as TradeAnalytics from "../domain/TradeAnalytics.js"
import * as TradeBreakdown from "../domain/TradeBreakdown.js"
import type { CashUnavailable } from "../ports/AccountBalance.js"
import type { EquityHistoryService } from "../ports/EquityHistory.js"
import type { StoreError, TradeStoreService } from "../ports/TradeStore.js"
import type {
  AnalyticsResponse,
  CorrelationResponse,
  AnalyticsWindow,
  DrawdownHistoryResponse,
  EquityCurveResponse,
  HeatmapResponse,
  PerformanceResponse,
  PeriodsResponse,
  RiskBucketsResponse,
  TradesPage
} from "../schema/Analytics.js"
import { formatEventTime } from "../schema/Primitives.js"
import type { ClosedTradeRecord } from "../schema/Records.js"
import type { PortfolioSnapshot } from "../schema/Responses.js"

/** Days of each window; `all` has no start. */
export const WINDOW_DAYS: Readonly<Record<AnalyticsWindow, number | null>> = { "30d": 30, "90d": 90, "1y": 365, all: null }

/** The round-trip statistics as `/analytics` answers them (`round_trips`). */
export const roundTrips = (t: TradeAnalytics.Statistics) => ({
  trades: t.trades,
  wins: t.wins,
  losses: t.losses,
  breakevens: t.breakevens,
  total_pnl: t.total,
  win_rate: t.winRate,
  average_win: t.averageWin,
  average_loss: t.averageLoss,
  expectancy: t.expectancy,
  expectancy_ratio: t.expectancyRatio,
  payoff_ratio: t.payoffRatio,
  kelly_fraction: t.kelly,
  longest_win_streak: t.longestWinStreak,
  longest_loss_streak: t.longestLossStreak
})

/** The start of `window` at `now` (epoch ms), `undefined` for `all`. */
export const windowStart = (window: AnalyticsWindow, now: number): number | undefined => {
  const days = WINDOW_DAYS[window]
  return days === null ? undefined : now - days * Calendar.DAY
}

/** A position in the closes, oldest first: the close time and how many closes at that time were passed. */
export interface Cursor {
  readonly at: number
  readonly skip: number
}

/** The cursor as the API sends it: `<closed_at ms>.<closes at that time already sent>`. */
export const encodeCursor = (cursor: Cursor): string => `${cursor.at}.${cursor.skip}`

/** A cursor sent back, or `null` when it is not one {@link encodeCursor} made. */
export const decodeCursor = (text: string): Cursor | null => {
  const m = /^(-?\d{1,16})\.(\d{1,9})$/.exec(text)
  if (m === null) return null
  const at = Number(m[1])
  const skip = Number(m[2])
  return Number.isSafeInteger(at) && Number.isSafeInteger(skip) ? { at, skip } : null
}

/** The filters of {@link Queries.trades}. */
export interface TradesQuery {
  readonly status: "open" | "closed"
  readonly from?: number | undefined
  readonly to?: number | undefined
  readonly symbol?: string | undefined
  readonly limit: number
  readonly cursor?: Cursor | undefined
}

/** The queries; each answers in the wire form of `schema/Analytics`. */
export interface Queries {
  /** The equity curve of `[from, to)` (default: the whole history) in buckets of at least `resolutionMs`. */
  readonly equity: (query: { readonly from?: number | undefined; readonly to?: number | undefined; readonly resolutionMs?: number | undefined }) => Effect.Effect<EquityCurveResponse, StoreError>
  /** The underwater curve and the `worst` deepest drawdowns of the window. */
  readonly drawdownHistory: (window: AnalyticsWindow, worst?: number) => Effect.Effect<DrawdownHistoryResponse, StoreError>
  /** Return statistics of the daily closes and round-trip statistics of the window. */
  readonly analytics: (window: AnalyticsWindow, periodsPerYear?: number) => Effect.Effect<AnalyticsResponse, StoreError>
  /** Realized PnL per symbol and per sector over the window. */
  readonly performance: (window: AnalyticsWindow) => Effect.Effect<PerformanceResponse, StoreError>
  /** PnL of the last `count` local days, weeks or months, the current one last (zero-filled). */
  readonly periods: (unit: TradeBreakdown.Unit, count: number) => Effect.Effect<PeriodsResponse, StoreError>
  /** PnL heatmap over the window. */
  readonly heatmap: (by: HeatmapResponse["by"], window: AnalyticsWindow) => Effect.Effect<HeatmapResponse, StoreError>
  /** Exposure, share of equity and PnL per risk bucket (category). */
  readonly riskBuckets: Effect.Effect<RiskBucketsResponse, StoreError | CashUnavailable>
  /**
   * Pearson correlation of daily returns over the window, per symbol and per sector (a
   * sector's return on a day: the mean of its symbols' returns that day), from the last price
   * of each symbol on each UTC day (`TradeStore.dailyMarks`). A day without a price for a
   * symbol gives it no return that day nor the next.
   */
  readonly correlation: (window: AnalyticsWindow) => Effect.Effect<CorrelationResponse, StoreError>
  /** Open trades, or one page of closes. */
  readonly trades: (query: TradesQuery) => Effect.Effect<TradesPage, StoreError | CashUnavailable>
}

/** What the queries read. */
export interface AnalyticsDeps {
  /** The portfolio's options: its time zone, sectors and categories (defaults filled in). */
  readonly options: Options
  readonly store: TradeStoreService
  readonly history: EquityHistoryService
  readonly snapshot: Effect.Effect<PortfolioSnapshot, CashUnavailable>
}

const iso = formatEventTime
const nullIfEmpty = (x: number | undefined): string | null => (x === undefined ? null : iso(x))

/** The queries over the ports and the current snapshot. */
export const make = (deps: AnalyticsDeps): Queries => {
  const { history, store } = deps
  const options = resolveOptions(deps.options)
  const calendar = Calendar.make(options.timeZone)
  const sectors = emptyPortfolio({ sectors: options.sectors })
  const sectorOfSymbol = (symbol: string) => sectorOf(sectors, symbol)
  const categoryOf = (symbol: string) => RiskBuckets.categoryOf(options.categories, symbol, options.defaultCategory)
  const firstSample = Effect.map(history.range({ limit: 1 }), (rows) => rows[0])

  const equity: Queries["equity"] = (query) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const first = query.from === undefined ? yield* firstSample : undefined
      const from = query.from ?? first?.at
      const to = query.to ?? now + 1
      const size = EquityCurve.bucketSizeFor(from ?? to - 1, to, query.resolutionMs ?? 0)
      const buckets = from === undefined ? [] : yield* history.bucketed({ from, to }, size)
      return {
        from: nullIfEmpty(from),
        to: iso(to),
        resolution_ms: size,
        buckets: buckets.map((b) => ({ start: iso(b.start), open: b.open, high: b.high, low: b.low, close: b.close, samples: b.count }))
      }
    })

  const drawdownHistory: Queries["drawdownHistory"] = (window, worst = 5) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const from = windowStart(window, now) ?? (yield* firstSample)?.at ?? now
      const size = EquityCurve.bucketSizeFor(from, now + 1)
      const buckets = yield* history.bucketed({ from, to: now + 1 }, size)
      // Each bucket as open → low → close: the open comes first and the close last, so every
      // drop measured is one that happened (a peak inside a bucket before its low is missed).
      const points = buckets.flatMap((b) => [
        { at: b.start, equity: b.open },
        { at: b.start, equity: b.low },
        { at: b.start, equity: b.close }
      ])
      const underwater = DrawdownHistory.underwater(points)
      const perBucket: Array<{ at: string; drawdown: number }> = []
      for (let i = 0; i < underwater.length; i += 3) {
        perBucket.push({ at: iso(underwater[i]!.at), drawdown: Math.min(underwater[i]!.drawdown, underwater[i + 1]!.drawdown, underwater[i + 2]!.drawdown) })
      }
      return {
        window,
        resolution_ms: size,
        max_drawdown: DrawdownHistory.maxDrawdown(points),
        underwater: perBucket,
        worst: DrawdownHistory.worst(points, worst).map((p) => ({
          peak_at: iso(p.peakAt),
          peak_equity: p.peakEquity,
          trough_at: iso(p.troughAt),
          trough_equity: p.troughEquity,
          recovery_at: p.recoveryAt === null ? null : iso(p.recoveryAt),
          depth: p.depth,
          length_days: p.lengthMs / Calendar.DAY
        }))
      }
    })

  const closesIn = (from: number | undefined, to?: number) => store.closedTrades({ from, to })

  /** The rollup rows of every symbol covering `[from, to)`, in time order; the ends' closes as rows of their own. */
  const rowsIn = (from: number | undefined, to: number | undefined) =>
    Effect.gen(function*() {
      const rows: Array<CloseRollup.CloseRollupRecord> = []
      for (const piece of RollupCover.pieces(from, to)) {
        if (piece.kind === "rows") rows.push(...(yield* store.closeRollup({ span: piece.span, from: piece.from, to: piece.to, bySymbol: false })))
        else rows.push(...RollupCover.closesAsRows(yield* closesIn(piece.from, piece.to)))
      }
      return rows
    })

  /**
   * The realized PnL, round trips and wins of `[from, to)` per group (`grouping` of the rows'
   * starts, `keyOf` of the ends' closes: the same groups) and, `bySymbol`, per symbol.
   */
  const totalsIn = (
    from: number | undefined,
    to: number | undefined,
    how: { readonly bySymbol: boolean; readonly days?: boolean; readonly grouping?: RollupQuery.Grouping; readonly keyOf?: (c: CloseRollup.Close) => number }
  ) =>
    Effect.gen(function*() {
      const totals: Array<RollupQuery.RollupTotals> = []
      for (const piece of RollupCover.pieces(from, to, how.days ?? true)) {
        if (piece.kind === "rows") {
          totals.push(...(yield* store.closeRollupTotals({ span: piece.span, from: piece.from, to: piece.to, bySymbol: how.bySymbol }, how.grouping)))
        } else {
          for (const c of yield* closesIn(piece.from, piece.to)) totals.push({ ...RollupCover.closeTotals(c), group: how.keyOf?.(c) ?? 0 })
        }
      }
      return totals
    })

  const analytics: Queries["analytics"] = (window, periodsPerYear = Analytics.DEFAULT_PERIODS_PER_YEAR) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const from = windowStart(window, now)
      const first = yield* firstSample
      let closes: Array<EquityCurve.DailyClose> = []
      if (first !== undefined) {
        const fromDay = Calendar.dayKey(calendar, Math.max(from ?? first.at, first.at))
        const toDay = Calendar.dayKey(calendar, now)
        const lastBefore = yield* history.lastBefore(EquityCurve.dayEnds(calendar, fromDay, toDay))
        closes = EquityCurve.closesFromLastBefore(fromDay, lastBefore)
      }
      const returns = Analytics.simpleReturns(closes.map((c) => c.equity))
      const r = Analytics.statistics(returns, { periodsPerYear })
      const summary = RollupCover.emptySummary()
      for (const row of yield* rowsIn(from, undefined)) RollupCover.addRow(summary, row)
      const t = TradeAnalytics.fromTotals(RollupCover.totals(summary))
      return {
        window,
        from: nullIfEmpty(from),
        to: iso(now),
        time_zone: options.timeZone,
        periods_per_year: periodsPerYear,
        returns: {
          days: r.periods,
          cumulative_return: r.cumulativeReturn,
          annual_return: r.annualReturn,
          annual_volatility: r.annualVolatility,
          sharpe: r.sharpe,
          sortino: r.sortino,
          calmar: r.calmar,
          max_drawdown: r.maxDrawdown
        },
        round_trips: roundTrips(t)
      }
    })

  const row = (c: TradeBreakdown.Cell) => ({ pnl: c.pnl, trades: c.trades, wins: c.wins, win_rate: c.winRate })

  const performance: Queries["performance"] = (window) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const bySymbol: RollupCover.Cells<string> = new Map()
      const bySector: RollupCover.Cells<string> = new Map()
      for (const t of yield* totalsIn(windowStart(window, now), undefined, { bySymbol: true })) {
        RollupCover.addTo(bySymbol, t.symbol, t)
        RollupCover.addTo(bySector, sectorOfSymbol(t.symbol), t)
      }
      return {
        window,
        by_symbol: TradeBreakdown.performanceCells(RollupCover.cells(bySymbol)).map((c) => ({ key: c.key, ...row(c) })),
        by_sector: TradeBreakdown.performanceCells(RollupCover.cells(bySector)).map((c) => ({ key: c.key, ...row(c) }))
      }
    })

  const periods: Queries["periods"] = (unit, count) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const ranges = TradeBreakdown.lastPeriods(calendar, unit, now, count)
      const cells: Array<RollupCover.Cells<0>> = ranges.map(() => new Map())
      if (unit === "month") {
        // Months: a few ranges, each mostly whole UTC days.
        for (const [i, period] of ranges.entries()) {
          for (const t of yield* totalsIn(period.from, period.to, { bySymbol: false })) RollupCover.addTo(cells[i]!, 0, t)
        }
      } else {
        // Days and weeks: the 15-minute rows of the whole span grouped by local day in the store,
        // one query per stretch of one offset; the days then summed into their periods.
        const index = new Map(ranges.map((period, i) => [Calendar.dayKey(calendar, period.from), i]))
        const periodOf = (day: number) => index.get(unit === "day" ? day : day - ((((day + 3) % 7) + 7) % 7))
        const from = ranges[0]!.from
        const to = ranges[ranges.length - 1]!.to
        for (const stretch of RollupCover.offsetIntervals(calendar.offsetAt, from, to)) {
          const grouping = { size: Calendar.DAY, shift: stretch.offset }
          const keyOf = (c: CloseRollup.Close) => Calendar.dayKey(calendar, c.closed_at)
          for (const t of yield* totalsIn(stretch.from, stretch.to, { bySymbol: false, days: false, grouping, keyOf })) {
            const i = periodOf(t.group)
            if (i !== undefined) RollupCover.addTo(cells[i]!, 0, t)
          }
        }
      }
      return {
        unit,
        time_zone: options.timeZone,
        periods: ranges.map((period, i) => ({
          start: period.start,
          ...row(RollupCover.cells(cells[i]!).get(0) ?? { pnl: 0, trades: 0, wins: 0, winRate: null })
        }))
      }
    })

  const heatmap: Queries["heatmap"] = (by, window) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const from = windowStart(window, now) ?? (yield* store.closedTrades({ limit: 1 }))[0]?.closed_at
      // Rollup rows up to the end of the current UTC day; any close after it (a clock ahead of
      // ours) is read as a close and placed by its own time.
      const end = Math.floor(now / Calendar.DAY) * Calendar.DAY + Calendar.DAY
      const tail = from === undefined ? [] : yield* closesIn(Math.max(from, end))
      if (by === "weekday_hour") {
        const cells: RollupCover.Cells<number> = new Map()
        const keyOf = (c: CloseRollup.Close) => TradeBreakdown.weekdayHourKey(calendar, c.closed_at)
        if (from !== undefined && from < end) {
          for (const stretch of RollupCover.offsetIntervals(calendar.offsetAt, from, end)) {
            // An hour of the week from a 15-minute row's start: (start + offset) / 1 h, + 72 h
            // (1970-01-01 was a Thursday), mod 168.
            const grouping = { size: 3_600_000, shift: stretch.offset + 72 * 3_600_000, cycle: 168 }
            for (const t of yield* totalsIn(stretch.from, stretch.to, { bySymbol: false, days: false, grouping, keyOf })) {
              RollupCover.addTo(cells, t.group, t)
            }
          }
        }
        for (const c of tail) RollupCover.addTo(cells, keyOf(c), RollupCover.closeTotals(c))
        return { by, time_zone: options.timeZone, cells: TradeBreakdown.weekdayHourCells(RollupCover.cells(cells)).map((c) => ({ row: c.row, column: c.column, ...row(c) })) }
      }
      const cells: RollupCover.Cells<string> = new Map()
      if (from !== undefined && from < end) {
        const months = Calendar.monthKey(calendar, end - 1) - Calendar.monthKey(calendar, from) + 1
        for (const month of TradeBreakdown.lastPeriods(calendar, "month", end - 1, months)) {
          const label = month.start.slice(0, 7)
          for (const t of yield* totalsIn(Math.max(from, month.from), Math.min(month.to, end), { bySymbol: true })) {
            RollupCover.addTo(cells, TradeBreakdown.symbolMonthKey(t.symbol, label), t)
          }
        }
      }
      for (const c of tail) RollupCover.addTo(cells, TradeBreakdown.symbolMonthKey(c.symbol, TradeBreakdown.monthLabel(calendar, c.closed_at)), RollupCover.closeTotals(c))
      return { by, time_zone: options.timeZone, cells: TradeBreakdown.symbolMonthCells(RollupCover.cells(cells)).map((c) => ({ row: c.row, column: c.column, ...row(c) })) }
    })

  const riskBuckets: Queries["riskBuckets"] = Effect.gen(function*() {
    const snapshot = yield* deps.snapshot
    const bySymbol: RollupCover.Cells<string> = new Map()
    for (const t of yield* totalsIn(undefined, undefined, { bySymbol: true })) RollupCover.addTo(bySymbol, t.symbol, t)
    const realized = new Map<string, number>()
    for (const [symbol, cell] of RollupCover.cells(bySymbol)) realized.set(symbol, cell.pnl)
    const holdings = snapshot.positions.map((p) => ({ symbol: p.symbol, exposure: p.exposure, unrealizedPnl: p.unrealized_pnl }))
    return {
      equity: snapshot.total_equity,
      buckets: RiskBuckets.buckets(holdings, realized, snapshot.total_equity, categoryOf).map((b) => ({
        category: b.category,
        exposure: b.exposure,
        share_of_equity_pct: b.sharePct,
        unrealized_pnl: b.unrealizedPnl,
        realized_pnl: b.realizedPnl,
        symbols: b.symbols
      })),
      timestamp: snapshot.timestamp
    }
  })

  const trades: Queries["trades"] = (query) =>
    query.status === "open"
      ? Effect.map(deps.snapshot, (snapshot) => ({
        status: "open" as const,
        open: snapshot.positions
          .filter((p) => query.symbol === undefined || p.symbol === query.symbol)
          .slice(0, query.limit),
        closed: [],
        next_cursor: null
      }))
      : Effect.gen(function*() {
        // Pages of the store from the cursor, oldest first, filtered, until `limit` are found.
        const found: Array<ClosedTradeRecord> = []
        let at = query.cursor?.at ?? query.from
        let skip = query.cursor?.skip ?? 0
        const chunk = Math.max(query.limit + 1, 500)
        for (;;) {
          const rows = yield* store.closedTrades({ from: at, to: query.to, limit: chunk + skip })
          for (const c of rows.slice(skip)) {
            if (query.symbol === undefined || c.symbol === query.symbol) found.push(c)
            if (found.length > query.limit) break
          }
          if (found.length > query.limit || rows.length < chunk + skip) break
          // On from the last row's time, past every row at that time already read.
          const last = rows[rows.length - 1]!
          at = last.closed_at
          skip = rows.filter((c) => c.closed_at === last.closed_at).length
        }
        const page = found.slice(0, query.limit)
        let next: string | null = null
        if (found.length > query.limit && page.length > 0) {
          const last = page[page.length - 1]!
          // Every close at that time up to and including the last one sent, in store order.
          const same = yield* store.closedTrades({ from: last.closed_at, to: last.closed_at + 1 })
          next = encodeCursor({ at: last.closed_at, skip: same.findIndex((c) => c.close_id === last.close_id) + 1 })
        }
        return { status: "closed" as const, open: [], closed: page, next_cursor: next }
      })

  const correlation: Queries["correlation"] = (window) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const from = windowStart(window, now)
      // One day more than the window: the first day's return needs the day before.
      const marks = yield* store.dailyMarks({ from: from === undefined ? undefined : from - Calendar.DAY, to: now + 1 })
      const empty = { window, days: 0, symbols: [], by_symbol: [], sectors: [], by_sector: [] }
      if (marks.length === 0) return empty
      const firstDay = marks[0]!.day
      const lastDay = marks[marks.length - 1]!.day
      const prices = new Map<string, Map<number, number>>()
      for (const m of marks) {
        let bySymbol = prices.get(m.symbol)
        if (bySymbol === undefined) prices.set(m.symbol, (bySymbol = new Map()))
        bySymbol.set(m.day, m.price)
      }
      const returns = new Map<string, Array<Analytics.Return>>()
      for (const [symbol, byDay] of prices) {
        const series: Array<Analytics.Return> = []
        for (let d = firstDay + 1; d <= lastDay; d++) {
          const prev = byDay.get(d - 1)
          const price = byDay.get(d)
          series.push(prev === undefined || price === undefined || !(prev > 0) ? null : price / prev - 1)
        }
        returns.set(symbol, series)
      }
      const bySector = new Map<string, Array<Array<number>>>()
      for (const [symbol, series] of returns) {
        const sector = sectorOfSymbol(symbol)
        let days = bySector.get(sector)
        if (days === undefined) bySector.set(sector, (days = series.map(() => [])))
        series.forEach((r, i) => {
          if (r !== null) days![i]!.push(r)
        })
      }
      const sectorReturns = new Map([...bySector].map(([sector, days]) => [sector, days.map((rs) => Analytics.mean(rs))]))
      const symbolMatrix = Analytics.correlationMatrix(returns)
      const sectorMatrix = Analytics.correlationMatrix(sectorReturns)
      return {
        window,
        days: lastDay - firstDay + 1,
        symbols: symbolMatrix.names,
        by_symbol: symbolMatrix.matrix,
        sectors: sectorMatrix.names,
        by_sector: sectorMatrix.matrix
      }
    })

  return { equity, drawdownHistory, analytics, performance, periods, heatmap, riskBuckets, correlation, trades }
}
