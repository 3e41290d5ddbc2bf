/**
 * Replays a recorded session through the accounting core, offline, and prints the snapshot,
 * PnL, exposure and drawdown.
 *
 *   pnpm --filter @portfolio/core example            # the bundled session.jsonl
 *   pnpm --filter @portfolio/core example my.jsonl   # any file of bus envelopes, one per line
 *
 * `session.jsonl` holds bus envelopes as they were read from the Redis streams (`payload` a JSON
 * string, Python's zone-less timestamps): three days, Saturday 8 to Monday 10 March 2025, so
 * the PnL windows cross a week boundary. It has opens, ticks, a partial close, a flip (BTC long
 * closed and reversed into a short) and closes, reported twice as the trading system does:
 * as trade events (`trade.opened`/`trade.closed`) and as the exchange fills behind them
 * (`order.executed`). The file is replayed twice to show both ways of building positions:
 *
 * - `trades` (the default): positions come from trade events; fills only move prices.
 * - `fills`: positions come from fills, one net position per symbol (one-way mode); trade events
 *   are ignored. The flip is one fill selling 0.25 BTC against a 0.1 BTC long: it closes the long
 *   and opens a 0.15 BTC short at the fill price.
 *
 * Both runs end with the same cash, PnL, exposure and drawdown: the two views of one session
 * agree. Equity is sampled after every event (`sampleIntervalMs: 0`) so the drawdown figures can
 * be checked by hand; the live service samples every 10 s.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Backtest } from "@portfolio/core"

/** Where the bundled session lives. */
export const sessionPath = fileURLToPath(new URL("./session.jsonl", import.meta.url))

/** The envelopes of a JSON Lines file, one per non-empty line. */
export const readSession = (path: string = sessionPath): Array<unknown> =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown)

/** Replays envelopes into a new backtest (10 000 USDT paper cash, UTC windows) and reads it out. */
export const replay = (envelopes: ReadonlyArray<unknown>, options: Backtest.Options = {}) => {
  const bt = Backtest.make({ initialCash: 10_000, timeZone: "UTC", sampleIntervalMs: 0, ...options })
  for (const envelope of envelopes) Backtest.feedEnvelope(bt, envelope)
  return {
    backtest: bt,
    snapshot: Backtest.snapshot(bt),
    pnl: Backtest.pnl(bt),
    exposure: Backtest.exposure(bt),
    drawdown: Backtest.drawdown(bt)
  }
}

const main = (path: string | undefined) => {
  const envelopes = readSession(path)
  const byTrades = replay(envelopes)
  const byFills = replay(envelopes, { positionSource: "fills" })
  const rows: Array<[string, (r: ReturnType<typeof replay>) => number | string]> = [
    ["events applied / ignored / rejected", (r) => `${r.backtest.portfolio.counters.applied} / ${r.backtest.portfolio.counters.ignored} / ${r.backtest.rejected}`],
    ["open positions", (r) => r.snapshot.positions.map((p) => `${p.trade_id} ${p.side} ${p.size} @ ${p.entry_price}`).join(", ")],
    ["cash", (r) => r.snapshot.cash_balance],
    ["unrealized PnL", (r) => r.snapshot.unrealized_pnl],
    ["equity", (r) => r.snapshot.total_equity],
    ["realized today / week / month", (r) => `${r.pnl.realized_pnl_today} / ${r.pnl.realized_pnl_week} / ${r.pnl.realized_pnl_month}`],
    ["win rate / profit factor", (r) => `${r.pnl.win_rate} / ${r.pnl.profit_factor}`],
    ["exposure long / short / net", (r) => `${r.exposure.long_exposure} / ${r.exposure.short_exposure} / ${r.exposure.net_exposure}`],
    ["drawdown daily / weekly / max %", (r) => `${r.drawdown.daily_drawdown_pct} / ${r.drawdown.weekly_drawdown_pct} / ${r.drawdown.max_drawdown_pct}`]
  ]
  const round = (x: number | string) => (typeof x === "number" ? Math.round(x * 1e6) / 1e6 : x)
  console.log(`Replayed ${envelopes.length} envelopes from ${path ?? sessionPath}\n`)
  console.log("| figure | positions from trades | positions from fills |")
  console.log("|---|---|---|")
  for (const [name, get] of rows) console.log(`| ${name} | ${round(get(byTrades))} | ${round(get(byFills))} |`)
  for (const [title, value] of [
    ["Snapshot", byTrades.snapshot],
    ["PnL", byTrades.pnl],
    ["Exposure", byTrades.exposure],
    ["Drawdown", byTrades.drawdown]
  ] as const) {
    console.log(`\n## ${title} (positions from trades)\n${JSON.stringify(value, null, 2)}`)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2])
