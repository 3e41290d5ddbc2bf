/**
 * The dashboard page: reads the current state from the REST routes once, then follows the push
 * stream (`/api/portfolio/stream`, Server-Sent Events; the browser reconnects by itself with
 * `Last-Event-ID`) — no polling. The equity curve and the heatmap come from the history routes
 * (`/api/portfolio/equity`, `/heatmap`) when the service has them; otherwise they are built from
 * the snapshots and closes pushed since the page opened (the page says which).
 *
 * The API key, when the service wants one, is taken from `?token=` on the page's URL or asked
 * once and kept in local storage; requests send it as `X-API-Key`, the stream as `?token=`.
 *
 * @since 0.2.0
 */
import "uplot/dist/uPlot.min.css"
import "./style.css"
import { type Chart, lineChart } from "./charts.js"
import * as Model from "./model.js"

const KEY_STORAGE = "portfolio.apiKey"
const $ = <E extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as E

let key = new URLSearchParams(location.search).get("token") ?? localStorage.getItem(KEY_STORAGE) ?? ""
let positions: ReadonlyArray<Model.Position> = []
let sort: { key: Model.SortKey; direction: 1 | -1 } = { key: "exposure", direction: -1 }
let equity: Array<Model.Point> = []
let heatmap = Model.emptyHeatmap()
let liveHeatmap = true
let liveCurve = true
/** When the page first read the state: closes pushed before it are already in what it read. */
let readAt = Infinity
let stream: EventSource | undefined

class Unauthorized extends Error {}

const api = async (path: string): Promise<unknown> => {
  const response = await fetch(path, { headers: key === "" ? {} : { "x-api-key": key } })
  if (response.status === 401) throw new Unauthorized()
  if (!response.ok) throw new Error(`${path}: ${response.status}`)
  return response.json()
}

/** The answer of an optional route, `undefined` when the service does not have it (or fails). */
const optional = (path: string): Promise<unknown> => api(path).catch((e) => (e instanceof Unauthorized ? Promise.reject(e) : undefined))

const setText = (id: string, text: string, value?: number) => {
  const el = $(id)
  el.textContent = text
  if (value !== undefined) el.className = Model.tone(value)
}

const status = (state: "connecting" | "live" | "error", text: string) => {
  const el = $("status")
  el.dataset["state"] = state
  el.textContent = text
}

let equityChart: Chart | undefined
let underwaterChart: Chart | undefined

const drawCurves = () => {
  equityChart ??= lineChart($("equity-chart"), "Equity")
  underwaterChart ??= lineChart($("underwater-chart"), "Drawdown", { fill: true, unit: " %" })
  equityChart.set(equity)
  underwaterChart.set(Model.underwater(equity))
}

const drawPositions = () => {
  const body = $<HTMLTableElement>("positions").tBodies[0]!
  const rows = Model.sortPositions(positions, sort.key, sort.direction).map((p) => {
    const tr = document.createElement("tr")
    tr.dataset["tradeId"] = p.trade_id
    const cells: Array<[string, string?]> = [
      [p.symbol],
      [p.side],
      [Model.formatNumber(p.size), "num"],
      [Model.formatNumber(p.entry_price), "num"],
      [Model.formatNumber(p.current_price), "num"],
      [Model.formatMoney(p.unrealized_pnl, true), `num ${Model.tone(p.unrealized_pnl)}`],
      [Model.formatPct(p.unrealized_pnl_pct), `num ${Model.tone(p.unrealized_pnl)}`],
      [Model.formatMoney(p.exposure), "num"],
      [p.opened_at.replace("T", " ").slice(0, 19)]
    ]
    for (const [text, cls] of cells) {
      const td = document.createElement("td")
      td.textContent = text
      if (cls !== undefined) td.className = cls
      tr.append(td)
    }
    return tr
  })
  body.replaceChildren(...rows)
  if (rows.length === 0) body.innerHTML = `<tr><td colspan="9" class="empty">No open positions</td></tr>`
  $("positions-count").textContent = `(${positions.length})`
  for (const th of document.querySelectorAll<HTMLElement>("#positions th")) {
    th.setAttribute("aria-sort", th.dataset["key"] === sort.key ? (sort.direction === 1 ? "ascending" : "descending") : "none")
  }
}

const drawBars = (id: string, rows: ReadonlyArray<readonly [string, number]>) => {
  const max = Math.max(1e-9, ...rows.map(([, v]) => Math.abs(v)))
  const items = rows.map(([name, value]) => {
    const row = document.createElement("div")
    row.className = "bar"
    row.innerHTML = `<span></span><i></i><b></b>`
    row.children[0]!.textContent = name
    ;(row.children[1] as HTMLElement).style.width = `${(Math.abs(value) / max) * 100}%`
    row.children[2]!.textContent = Model.formatMoney(value)
    return row
  })
  $(id).replaceChildren(...items)
  if (items.length === 0) $(id).innerHTML = `<span class="empty">No exposure</span>`
}

const drawHeatmap = () => {
  const scale = Model.heatScale(heatmap)
  const cells: Array<HTMLElement> = [document.createElement("div")]
  for (let h = 0; h < 24; h++) cells.push(Object.assign(document.createElement("div"), { textContent: String(h) }))
  Model.WEEKDAYS.forEach((day, d) => {
    cells.push(Object.assign(document.createElement("div"), { textContent: day }))
    for (let h = 0; h < 24; h++) {
      const pnl = heatmap.cells[d]![h]!
      const cell = document.createElement("div")
      cell.className = "cell"
      const alpha = scale === 0 ? 0 : Math.min(1, Math.abs(pnl) / scale) * 0.85
      cell.style.background = pnl === 0 ? "transparent" : `color-mix(in srgb, var(${pnl > 0 ? "--up" : "--down"}) ${Math.round(alpha * 100)}%, transparent)`
      cell.title = `${day} ${h}:00 UTC: ${Model.formatMoney(pnl, true)} (${heatmap.trades[d]![h]} closes)`
      cells.push(cell)
    }
  })
  $("heatmap").replaceChildren(...cells)
  $("heatmap-zone").textContent = heatmap.zone
  $("heatmap-source").textContent = liveHeatmap ? "— closes since this page opened" : ""
}

type Snapshot = { total_equity: number; cash_balance: number; unrealized_pnl: number; realized_pnl_today: number; daily_drawdown_pct: number; timestamp: string; positions: ReadonlyArray<Model.Position> }
type Pnl = { realized_pnl_today: number; realized_pnl_week: number; realized_pnl_month: number }
type Exposure = { exposure_by_symbol: Record<string, number>; exposure_by_sector: Record<string, number> }

const onSnapshot = (s: Snapshot) => {
  setText("t-equity", Model.formatMoney(s.total_equity))
  setText("t-cash", Model.formatMoney(s.cash_balance))
  setText("t-unrealized", Model.formatMoney(s.unrealized_pnl, true), s.unrealized_pnl)
  setText("t-today", Model.formatMoney(s.realized_pnl_today, true), s.realized_pnl_today)
  setText("t-drawdown", Model.formatPct(s.daily_drawdown_pct), -s.daily_drawdown_pct)
  positions = s.positions
  drawPositions()
  drawBars("exposure-symbol", Model.exposureBy(positions, "symbol"))
  drawBars("exposure-sector", Model.exposureBy(positions, "sector"))
  equity = Model.addPoint(equity, { t: Math.floor(Date.parse(s.timestamp) / 1000), v: s.total_equity })
  drawCurves()
}

const onPnl = (p: Pnl & { trade_id?: string | null | undefined; trade_realized_pnl?: number; timestamp?: string }) => {
  setText("t-today", Model.formatMoney(p.realized_pnl_today, true), p.realized_pnl_today)
  setText("t-week", Model.formatMoney(p.realized_pnl_week, true), p.realized_pnl_week)
  setText("t-month", Model.formatMoney(p.realized_pnl_month, true), p.realized_pnl_month)
  // Each close after the page's first reading adds to the heatmap (the service's answer, or what was pushed).
  if (p.trade_realized_pnl !== undefined && p.timestamp !== undefined && p.trade_id !== undefined && Date.parse(p.timestamp) > readAt) {
    Model.addClose(heatmap, p.timestamp, p.trade_realized_pnl)
    drawHeatmap()
  }
}

const onExposure = (e: Exposure) => {
  drawBars("exposure-symbol", Model.rowsOf(e.exposure_by_symbol))
  drawBars("exposure-sector", Model.rowsOf(e.exposure_by_sector))
}

const onDrawdown = (d: { daily_drawdown_pct: number; alert_active: boolean; reason: string; threshold_pct: number }) => {
  setText("t-drawdown", Model.formatPct(d.daily_drawdown_pct), -d.daily_drawdown_pct)
  const alert = $("alert")
  alert.hidden = !d.alert_active
  alert.textContent = d.alert_active ? `Daily drawdown ${Model.formatPct(d.daily_drawdown_pct)} is past the alert threshold (${Model.formatPct(d.threshold_pct)}): ${d.reason}` : ""
}

const follow = () => {
  stream?.close()
  stream = new EventSource(`/api/portfolio/stream${key === "" ? "" : `?token=${encodeURIComponent(key)}`}`)
  stream.onopen = () => status("live", "live")
  stream.onerror = () => status("error", "reconnecting…")
  const on = <A>(type: string, f: (a: A) => void) => stream!.addEventListener(type, (e) => f(JSON.parse((e as MessageEvent<string>).data) as A))
  on("portfolio.snapshot_updated", onSnapshot)
  on("portfolio.pnl_updated", onPnl)
  on("portfolio.exposure_updated", onExposure)
  on("portfolio.drawdown_updated", onDrawdown)
}

const askKey = () => {
  const form = $<HTMLFormElement>("key-form")
  form.hidden = false
  status("error", "API key needed")
  form.onsubmit = (e) => {
    e.preventDefault()
    key = $<HTMLInputElement>("key-input").value.trim()
    localStorage.setItem(KEY_STORAGE, key)
    form.hidden = true
    void start()
  }
}

const start = async () => {
  try {
    // The history routes are used when the service has them (its OpenAPI document says so).
    const routes = await fetch("/openapi.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({})) as { paths?: Record<string, unknown> }
    const has = (path: string) => routes.paths?.[path] !== undefined
    const [snapshot, pnl, history, heat] = await Promise.all([
      api("/api/portfolio/snapshot") as Promise<Snapshot>,
      api("/api/portfolio/pnl") as Promise<Pnl>,
      has("/api/portfolio/equity") ? optional("/api/portfolio/equity?resolution=1h") : undefined,
      has("/api/portfolio/heatmap") ? optional("/api/portfolio/heatmap?by=weekday_hour&window=all") : undefined
    ])
    const curve = Model.parseCurve(history)
    liveCurve = curve === undefined
    equity = curve ?? []
    $("curve-source").textContent = liveCurve ? "— built from the snapshots since this page opened" : ""
    const map = Model.parseHeatmap(heat)
    liveHeatmap = map === undefined
    heatmap = map ?? Model.emptyHeatmap()
    readAt = Date.parse(snapshot.timestamp)
    onSnapshot(snapshot)
    onPnl({ ...pnl, trade_id: undefined })
    drawHeatmap()
    follow()
  } catch (e) {
    if (e instanceof Unauthorized) askKey()
    else status("error", `failed: ${(e as Error).message}`)
  }
}

// Sorting by a column: click, or Enter / Space on the focused header.
for (const th of document.querySelectorAll<HTMLElement>("#positions th")) {
  const toggle = () => {
    const k = th.dataset["key"] as Model.SortKey
    sort = { key: k, direction: sort.key === k ? (-sort.direction as 1 | -1) : 1 }
    drawPositions()
  }
  th.tabIndex = 0
  th.addEventListener("click", toggle)
  th.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault()
      toggle()
    }
  })
}
void start()
