/**
 * The performance report (DESIGN.md §6 "Report"): one {@link Report} — the window and settings
 * it was computed for, the headline statistics, the equity curve and its underwater curve,
 * monthly returns, per-symbol figures — rendered as a self-contained HTML page (inline SVG
 * charts, inline CSS, no script, no external asset) by {@link html}, and as PDF by `Pdf.render`.
 *
 * @example
 * const perf = yield* Performance.fromStores({ from, to }, { timeZone: "UTC", periodsPerYear: 365 })
 * const page = Tearsheet.html(Tearsheet.make(perf, { title: "Account main", from, to, settings: [["time zone", "UTC"]] }))
 *
 * @since 0.1.0
 */
import { DrawdownHistory } from "@portfolio/core"
import * as Performance from "./Performance.js"

/** Everything a report shows. */
export interface Report {
  readonly title: string
  /** When it was made, epoch ms. */
  readonly generatedAt: number
  /** The window asked for (null: open-ended) and the first and last sample seen in it. */
  readonly window: {
    readonly from: number | null
    readonly to: number | null
    readonly firstAt: number | null
    readonly lastAt: number | null
  }
  /** What it was computed with, as label and value (time zone, initial cash, source, …). */
  readonly settings: ReadonlyArray<readonly [string, string]>
  readonly summary: Performance.Summary
  /** The thinned equity curve. */
  readonly curve: ReadonlyArray<{ readonly at: number; readonly equity: number }>
  readonly monthly: ReadonlyArray<Performance.MonthlyReturn>
  readonly symbols: ReadonlyArray<Performance.SymbolFigures>
}

/** What {@link make} needs besides the performance. */
export interface MakeOptions {
  readonly title: string
  readonly from?: number | null | undefined
  readonly to?: number | null | undefined
  readonly settings: ReadonlyArray<readonly [string, string]>
  readonly periodsPerYear: number
  /** The equity to report (default: the last sample's; the backtest gives its final valuation). */
  readonly equity?: number | undefined
  readonly generatedAt?: number | undefined
}

/** The report of an accumulated performance. */
export const make = (perf: Performance.Performance, options: MakeOptions): Report => ({
  title: options.title,
  generatedAt: options.generatedAt ?? Date.now(),
  window: {
    from: options.from ?? null,
    to: options.to ?? null,
    firstAt: perf.firstAt ?? null,
    lastAt: perf.last?.at ?? null
  },
  settings: options.settings,
  summary: Performance.summarize(perf, options.equity ?? perf.last?.equity ?? 0, options.periodsPerYear),
  curve: Performance.curve(perf).map((s) => ({ at: s.at, equity: s.equity })),
  monthly: Performance.monthlyReturns(perf.daily),
  symbols: Performance.symbols(perf)
})

/** `1234.5` → `1,234.50`. */
export const money = (x: number): string => x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
/** A fraction as a percentage with two decimals: `0.0123` → `1.23 %`. */
export const percent = (x: number | null): string => (x === null ? "n/a" : `${(x * 100).toFixed(2)} %`)
/** A ratio with two decimals, `n/a` when undefined. */
export const ratio = (x: number | null): string => (x === null ? "n/a" : x.toFixed(2))
/** An instant as `YYYY-MM-DD HH:MM UTC`, `—` when none. */
export const when = (ms: number | null): string => (ms === null ? "—" : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`)

/** The headline statistics, label and value, in the order both renderings show them. */
export const headline = (report: Report): Array<readonly [string, string]> => {
  const s = report.summary
  return [
    ["Equity", money(s.equity)],
    ["Realized PnL", money(s.realized_pnl)],
    ["Fees", money(s.fees)],
    ["Round trips", `${s.round_trips} (${s.wins} won, ${s.losses} lost)`],
    ["Win rate", percent(s.win_rate)],
    ["Profit factor", s.profit_factor >= 1_000_000 ? "no losses" : ratio(s.profit_factor)],
    ["Expectancy", s.expectancy === null ? "n/a" : money(s.expectancy)],
    ["Sharpe", ratio(s.sharpe)],
    ["Sortino", ratio(s.sortino)],
    ["Calmar", ratio(s.calmar)],
    ["Annual return", percent(s.annual_return)],
    ["Annual volatility", percent(s.annual_volatility)],
    ["Max drawdown", `${s.max_drawdown_pct.toFixed(2)} %`],
    ["Best / worst trade", `${money(s.best_trade)} / ${money(s.worst_trade)}`],
    ["Days", String(s.days)]
  ]
}

/** The underwater curve of the report's equity curve (`equity / running peak − 1`). */
export const underwater = (report: Report): Array<{ readonly at: number; readonly drawdown: number }> =>
  DrawdownHistory.underwater(report.curve).map((p) => ({ at: p.at, drawdown: p.drawdown }))

/** A chart's points scaled into a `width` × `height` box: x by time, y by value (top = max). */
export const scale = (
  points: ReadonlyArray<{ readonly at: number; readonly value: number }>,
  width: number,
  height: number,
  bounds?: { readonly min: number; readonly max: number }
): Array<readonly [number, number]> => {
  if (points.length === 0) return []
  const t0 = points[0]!.at
  const t1 = points[points.length - 1]!.at
  let min = bounds?.min ?? Math.min(...points.map((p) => p.value))
  let max = bounds?.max ?? Math.max(...points.map((p) => p.value))
  if (max === min) {
    max += 1
    min -= 1
  }
  return points.map((p) => [
    t1 === t0 ? width / 2 : ((p.at - t0) / (t1 - t0)) * width,
    ((max - p.value) / (max - min)) * height
  ] as const)
}

/** The months of each year, for the monthly table: year → 12 returns (null where none). */
export const monthGrid = (monthly: ReadonlyArray<Performance.MonthlyReturn>): Array<{ readonly year: string; readonly months: ReadonlyArray<number | null>; readonly total: number }> => {
  const years = new Map<string, Array<number | null>>()
  for (const m of monthly) {
    const [year, month] = m.month.split("-") as [string, string]
    let row = years.get(year)
    if (row === undefined) years.set(year, (row = Array<number | null>(12).fill(null)))
    row[Number(month) - 1] = m.return
  }
  return [...years].map(([year, months]) => ({
    year,
    months,
    total: months.reduce<number>((acc, r) => (r === null ? acc : (1 + acc) * (1 + r) - 1), 0)
  }))
}

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"))

const W = 760
const H = 200

const svgChart = (
  points: ReadonlyArray<{ readonly at: number; readonly value: number }>,
  options: { readonly label: string; readonly area: boolean; readonly color: string; readonly format: (x: number) => string; readonly bounds?: { readonly min: number; readonly max: number } }
): string => {
  if (points.length === 0) return `<p class="empty">No samples in the window.</p>`
  const xy = scale(points, W, H, options.bounds)
  const line = xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ")
  const values = points.map((p) => p.value)
  const min = options.bounds?.min ?? Math.min(...values)
  const max = options.bounds?.max ?? Math.max(...values)
  const shape = options.area
    ? `<polygon points="0,0 ${line} ${W},0" fill="${options.color}" fill-opacity="0.35" stroke="${options.color}" stroke-width="1"/>`
    : `<polyline points="${line}" fill="none" stroke="${options.color}" stroke-width="1.5"/>`
  return `<svg role="img" aria-label="${escape(options.label)}" viewBox="-70 -10 ${W + 80} ${H + 35}" width="100%">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fafafa" stroke="#ddd"/>
${shape}
<text x="-6" y="8" text-anchor="end" class="axis">${escape(options.format(max))}</text>
<text x="-6" y="${H}" text-anchor="end" class="axis">${escape(options.format(min))}</text>
<text x="0" y="${H + 18}" class="axis">${escape(when(points[0]!.at))}</text>
<text x="${W}" y="${H + 18}" text-anchor="end" class="axis">${escape(when(points[points.length - 1]!.at))}</text>
</svg>`
}

const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, cls = ""): string =>
  `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** The report as one self-contained HTML page. */
export const html = (report: Report): string => {
  const equity = report.curve.map((p) => ({ at: p.at, value: p.equity }))
  const under = underwater(report).map((p) => ({ at: p.at, value: p.drawdown * 100 }))
  const minUnder = Math.min(0, ...under.map((p) => p.value))
  const grid = monthGrid(report.monthly)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(report.title)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}.stats td:first-child{color:#555}.axis{font-size:11px;fill:#666}
.neg{color:#b00}.meta{color:#555}.empty{color:#777;font-style:italic}
</style></head>
<body>
<h1>${escape(report.title)}</h1>
<p class="meta">Window ${escape(when(report.window.from ?? report.window.firstAt))} → ${escape(when(report.window.to ?? report.window.lastAt))} · generated ${escape(when(report.generatedAt))}</p>
<h2>Statistics</h2>
${table(["Figure", "Value"], headline(report), "stats")}
<h2>Equity curve</h2>
${svgChart(equity, { label: "Equity curve", area: false, color: "#1f5fbf", format: money })}
<h2>Underwater curve (drawdown from the running peak)</h2>
${svgChart(under, { label: "Underwater curve", area: true, color: "#c0392b", format: (x) => `${x.toFixed(1)} %`, bounds: { min: minUnder, max: 0 } })}
<h2>Monthly returns</h2>
${grid.length === 0 ? `<p class="empty">No daily closes in the window.</p>` : table(["Year", ...MONTHS, "Year"], grid.map((y) => [y.year, ...y.months.map((m) => (m === null ? "" : percent(m))), percent(y.total)]), "monthly")}
<h2>Per symbol</h2>
${report.symbols.length === 0 ? `<p class="empty">No closes in the window.</p>` : table(["Symbol", "Round trips", "Won", "Lost", "Realized PnL", "Fees"], report.symbols.map((s) => [s.symbol, String(s.round_trips), String(s.wins), String(s.losses), money(s.realized_pnl), money(s.fees)]))}
<h2>Window and settings</h2>
${table(["Setting", "Value"], [
  ["From", when(report.window.from)],
  ["To", when(report.window.to)],
  ["First sample", when(report.window.firstAt)],
  ["Last sample", when(report.window.lastAt)],
  ["Periods per year", String(report.summary.periods_per_year)],
  ...report.settings
], "stats")}
</body></html>
`
}
