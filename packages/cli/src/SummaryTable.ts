/**
 * What `portfolio backtest` prints at the end: a two-column table of the run's headline
 * figures for people, or the whole result as one JSON document for machines (`--json`).
 *
 * @since 0.1.0
 */
import type * as Replay from "./Replay.js"

const money = (x: number): string => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const ratio = (x: number | null): string => (x === null ? "n/a" : x.toFixed(2))
const time = (ms: number | null): string => (ms === null ? "—" : new Date(ms).toISOString())

/** The rows of the table: label and value, in order. */
export const rows = (result: Replay.Result): Array<readonly [string, string]> => {
  const s = result.summary
  return [
    ["window", `${time(result.firstEventAt)} → ${time(result.lastEventAt)}`],
    [
      "events",
      `${result.applied.toLocaleString("en-US")} applied, ${result.rejected} rejected, ${result.badLines} bad lines skipped` +
        (result.afterWindow > 0 ? `, ${result.afterWindow.toLocaleString("en-US")} at or after --to not applied` : "")
    ],
    ["equity", money(s.equity)],
    ["realized PnL", money(s.realized_pnl)],
    ["fees", money(s.fees)],
    ["round trips", `${s.round_trips} (${s.wins} won, ${s.losses} lost, ${s.breakevens} even)`],
    ["win rate", `${(s.win_rate * 100).toFixed(1)} %`],
    ["profit factor", s.profit_factor >= 1_000_000 ? "no losses" : s.profit_factor.toFixed(2)],
    ["Sharpe", ratio(s.sharpe)],
    ["Sortino", ratio(s.sortino)],
    ["max drawdown", `${s.max_drawdown_pct.toFixed(2)} %`]
  ]
}

/** The table as text. */
export const table = (result: Replay.Result): string => {
  const r = rows(result)
  const width = Math.max(...r.map(([label]) => label.length))
  const lines = r.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
  const notes = [
    ...result.rejections.slice(0, 5).map((x) => `rejected ${x.source}:${x.line}: ${x.reason}`),
    ...result.badLineList.slice(0, 5).map((x) => `skipped ${x.source}:${x.line}: ${x.reason}`)
  ]
  return [...lines, ...notes].join("\n")
}

/** The result for `--json`: everything but the chart curve and the accumulation behind it. */
export const json = (result: Replay.Result): string => {
  const { curve: _curve, performance: _performance, ...rest } = result
  return JSON.stringify(rest, null, 2)
}
