/**
 * What the dashboard shows, computed from the service's answers and events as plain functions
 * (no DOM): number formats, the equity and underwater curves, exposure by symbol and sector,
 * the PnL heatmap, the positions' order. The page (`main.ts`) only draws their results.
 *
 * @since 0.2.0
 */

/** One point of a curve: epoch seconds (uPlot's x) and a value. */
export interface Point {
  readonly t: number
  readonly v: number
}

/** A position as the snapshot carries it (the fields the page uses). */
export interface Position {
  readonly trade_id: string
  readonly symbol: string
  readonly side: string
  readonly size: number
  readonly entry_price: number
  readonly current_price: number
  readonly unrealized_pnl: number
  readonly unrealized_pnl_pct: number
  readonly exposure: number
  readonly leverage: number
  readonly sector: string
  readonly opened_at: string
}

const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** `1234.5` → `"1,234.50"`; a sign on demand (`+12.00`); `"—"` for what is not a finite number. */
export const formatMoney = (value: number | undefined, signed = false): string => {
  if (value === undefined || !Number.isFinite(value)) return "—"
  const text = money.format(Math.abs(value) < 0.005 ? 0 : value)
  return signed && value >= 0.005 ? `+${text}` : text
}

/** A percentage with two decimals: `5.1234` → `"5.12 %"`. */
export const formatPct = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? "—" : `${value.toFixed(2)} %`

/** A price or size without trailing noise: up to 8 significant digits. */
export const formatNumber = (value: number): string =>
  Number.isFinite(value) ? String(Number(value.toPrecision(8))) : "—"

/** `"up"`, `"down"` or `"flat"`: the colour class of a PnL figure. */
export const tone = (value: number | undefined): "up" | "down" | "flat" =>
  value === undefined || Math.abs(value) < 0.005 ? "flat" : value > 0 ? "up" : "down"

/**
 * Adds a point to a curve kept in time order, at most `max` points (the oldest go first); a
 * point at the same second replaces the last one.
 */
export const addPoint = (curve: Array<Point>, point: Point, max = 5_000): Array<Point> => {
  const last = curve[curve.length - 1]
  if (last !== undefined && point.t < last.t) return curve
  if (last !== undefined && point.t === last.t) curve[curve.length - 1] = point
  else curve.push(point)
  if (curve.length > max) curve.splice(0, curve.length - max)
  return curve
}

/**
 * The underwater curve of an equity curve: at each point, how far below the running peak the
 * equity is, in percent (0 at a peak, negative below): `(equity − peak) / peak × 100`.
 */
export const underwater = (equity: ReadonlyArray<Point>): Array<Point> => {
  let peak = -Infinity
  return equity.map((p) => {
    peak = Math.max(peak, p.v)
    return { t: p.t, v: peak > 0 ? ((p.v - peak) / peak) * 100 : 0 }
  })
}

/** Exposure summed by a key of the positions (symbol, sector), largest first. */
export const exposureBy = (positions: ReadonlyArray<Position>, key: "symbol" | "sector"): Array<readonly [string, number]> => {
  const sums = new Map<string, number>()
  for (const p of positions) sums.set(p[key], (sums.get(p[key]) ?? 0) + p.exposure)
  return [...sums].sort((a, b) => b[1] - a[1])
}

/** A record of exposures (`exposure_by_symbol`) as rows, largest first. */
export const rowsOf = (record: Readonly<Record<string, number>>): Array<readonly [string, number]> =>
  Object.entries(record).sort((a, b) => b[1] - a[1])

/** The weekdays of the heatmap's rows, Monday first (as the service's weeks). */
export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const

/** PnL by weekday (0 = Monday) and hour (0–23) in a time zone: `cells[weekday][hour]`. */
export interface Heatmap {
  /** The IANA time zone of the weekdays and hours (the service's `PORTFOLIO_TIMEZONE`). */
  readonly zone: string
  readonly cells: Array<Array<number>>
  readonly trades: Array<Array<number>>
}

/** An empty heatmap in `zone`. */
export const emptyHeatmap = (zone = "UTC"): Heatmap => ({
  zone,
  cells: WEEKDAYS.map(() => Array.from({ length: 24 }, () => 0)),
  trades: WEEKDAYS.map(() => Array.from({ length: 24 }, () => 0))
})

const placers = new Map<string, Intl.DateTimeFormat>()

/** The weekday (0 = Monday) and hour of `ms` in `zone`. */
export const placeIn = (zone: string, ms: number): { readonly weekday: number; readonly hour: number } => {
  let format = placers.get(zone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "short", hour: "2-digit", hourCycle: "h23" })
    placers.set(zone, format)
  }
  const parts = format.formatToParts(ms)
  const weekday = WEEKDAYS.indexOf(parts.find((p) => p.type === "weekday")?.value as (typeof WEEKDAYS)[number])
  return { weekday, hour: Number(parts.find((p) => p.type === "hour")?.value) % 24 }
}

/** Adds a close's PnL at its time (ISO text or epoch ms) to the heatmap, placed in its zone. */
export const addClose = (map: Heatmap, at: string | number, pnl: number, roundTrip = false): Heatmap => {
  const ms = typeof at === "number" ? at : Date.parse(at)
  if (!Number.isFinite(ms) || !Number.isFinite(pnl)) return map
  const { weekday, hour } = placeIn(map.zone, ms)
  if (weekday < 0) return map
  map.cells[weekday]![hour]! += pnl
  if (roundTrip) map.trades[weekday]![hour]! += 1
  return map
}

/** The largest |PnL| of the heatmap's cells (the colour scale's end; 0 when empty). */
export const heatScale = (map: Heatmap): number => Math.max(0, ...map.cells.flat().map(Math.abs))

/**
 * Reads the service's `/heatmap?by=weekday_hour` answer (`{time_zone, cells: [{row: "Mon",
 * column: "00", pnl, trades}]}`); `undefined` when it is not one.
 */
export const parseHeatmap = (body: unknown): Heatmap | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const record = body as Record<string, unknown>
  if (record["by"] !== "weekday_hour" || !Array.isArray(record["cells"])) return undefined
  const map = emptyHeatmap(typeof record["time_zone"] === "string" ? record["time_zone"] : "UTC")
  for (const c of record["cells"] as ReadonlyArray<unknown>) {
    if (typeof c !== "object" || c === null) continue
    const cell = c as Record<string, unknown>
    const weekday = WEEKDAYS.indexOf(cell["row"] as (typeof WEEKDAYS)[number])
    const hour = Number(cell["column"])
    const pnl = Number(cell["pnl"])
    if (weekday < 0 || !(hour >= 0 && hour < 24) || !Number.isFinite(pnl)) continue
    map.cells[weekday]![hour]! += pnl
    map.trades[weekday]![hour]! += Number(cell["trades"]) || 0
  }
  return map
}

/**
 * Reads an equity curve answered by the service's `/equity` in the shapes it may take (a list
 * of buckets or samples with a time — `start`, `at`, `timestamp` or `t` — and a value — `close`
 * or `equity`), or `{points|buckets: […]}`; `undefined` when none parses.
 */
export const parseCurve = (body: unknown): Array<Point> | undefined => {
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {}
  const list = Array.isArray(body) ? body : record["points"] ?? record["buckets"] ?? record["curve"]
  if (!Array.isArray(list)) return undefined
  const points: Array<Point> = []
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue
    const p = item as Record<string, unknown>
    const time = p["start"] ?? p["at"] ?? p["timestamp"] ?? p["t"]
    const value = Number(p["close"] ?? p["equity"] ?? p["close_equity"])
    const ms = typeof time === "number" ? time : typeof time === "string" ? Date.parse(time) : NaN
    if (Number.isFinite(ms) && Number.isFinite(value)) points.push({ t: Math.floor(ms / 1000), v: value })
  }
  return points.length === 0 ? undefined : points.sort((a, b) => a.t - b.t)
}

/** The columns the positions table sorts by. */
export type SortKey = "symbol" | "side" | "size" | "entry_price" | "current_price" | "unrealized_pnl" | "unrealized_pnl_pct" | "exposure" | "opened_at"

/** The positions ordered by `key` (`1` ascending, `-1` descending), ties by trade id. */
export const sortPositions = (positions: ReadonlyArray<Position>, key: SortKey, direction: 1 | -1): Array<Position> =>
  [...positions].sort((a, b) => {
    const x = a[key]
    const y = b[key]
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))
    return order !== 0 ? order * direction : a.trade_id.localeCompare(b.trade_id)
  })
