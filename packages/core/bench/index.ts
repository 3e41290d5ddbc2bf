/**
 * Benchmarks of the accounting core, in process (no I/O):
 *
 * 1. the headline: events per second end to end — bus entries as Redis gives them (objects of
 *    strings, the payload a JSON string as Python's `json.dumps` writes it) decoded with
 *    `decodeEnvelope` and applied with `Portfolio.apply` — for a realistic mix (70 % ticks, the
 *    rest opens, closes and fills) at 10 / 1 000 / 10 000 open positions;
 * 2. `decodeEnvelope` alone on the same entries;
 * 3. the snapshot as the service publishes it: valuation, snapshot with drawdown, and
 *    `JSON.stringify`, at 100 / 1 000 / 10 000 positions;
 * 4. secondary figures on pre-decoded events (`Portfolio.apply` of ticks; a replay through
 *    `Backtest.feed`), which leave decoding out and so are not what a user sees.
 *
 *   pnpm bench core      (or: pnpm --filter @portfolio/core bench)
 *
 * Inputs are built before timing from a seeded generator; loops are bounded; the whole run
 * takes about a minute of CPU. Beside each wall-clock rate is the process CPU time per item,
 * which a loaded (shared) machine disturbs less. Prints a markdown table.
 */
import { performance } from "node:perf_hooks"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Backtest, decodeEnvelope, Drawdown, type IncomingEvent, Portfolio, Valuation } from "@portfolio/core"

/** A small deterministic generator (mulberry32), so every run measures the same inputs. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const T0 = Date.parse("2025-03-03T00:00:00Z")
const symbolName = (i: number) => `S${i}USDT`
const cents = (x: number) => Math.round(x * 100) / 100

/**
 * A pre-decoded event, built field by field in the order `decodeEnvelope` uses, so every event
 * has the same hidden class as a decoded one (spreading a shared base would give each its own).
 */
const event = <T extends IncomingEvent["type"]>(type: T, at: number, payload: Extract<IncomingEvent, { type: T }>["payload"]): IncomingEvent =>
  ({ type, payload, at, traceId: "", correlationId: undefined, source: "bench" }) as IncomingEvent

const tickEvent = (at: number, symbol: string, price: number) => event("market.tick", at, { symbol, price })
const openEvent = (at: number, id: string, symbol: string, side: "LONG" | "SHORT", price: number, quantity: number) =>
  event("trade.opened", at, { trade_id: id, symbol, side, entry_price: price, quantity, leverage: 5 })
const closeEvent = (at: number, id: string, price: number) => event("trade.closed", at, { trade_id: id, exit_price: price })
const fillEvent = (at: number, id: string, symbol: string, side: "BUY" | "SELL", price: number, quantity: number) =>
  event("order.executed", at, { order_id: id, symbol, side, quantity, price })

interface Trade {
  readonly id: string
  readonly symbol: string
  readonly size: number
}

/** A portfolio with `n` open trades over `min(n, 1 000)` symbols, every symbol priced. */
const portfolioWith = (n: number) => {
  const rnd = random(n)
  const p = Portfolio.make()
  const symbols = Math.min(n, 1_000)
  const trades: Array<Trade> = []
  for (let i = 0; i < n; i++) {
    const trade = { id: `t${i}`, symbol: symbolName(i % symbols), size: cents(0.1 + rnd()) }
    trades.push(trade)
    Portfolio.apply(p, openEvent(T0 + i, trade.id, trade.symbol, rnd() < 0.5 ? "LONG" : "SHORT", cents(100 + rnd() * 100), trade.size))
  }
  for (let s = 0; s < symbols; s++) Portfolio.apply(p, tickEvent(T0 + n + s, symbolName(s), cents(100 + rnd() * 100)))
  return { p, symbols, trades, at: T0 + n + symbols }
}

// ---------------------------------------------------------------------------------------------
// Bus entries as the Python services write them
// ---------------------------------------------------------------------------------------------

/** `datetime.utcnow().isoformat()`: microseconds, no zone. */
const pythonTime = (at: number, micros: number) => new Date(at).toISOString().slice(0, 23) + String(micros).padStart(3, "0")

/** `json.dumps(payload)`: `", "` and `": "` separators. */
const pythonJson = (payload: Record<string, unknown>) =>
  `{${Object.entries(payload).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")}}`

/** A stream entry as `XREADGROUP` gives it (field order of the Python bus). */
const entry = (eventType: string, payload: Record<string, unknown>, timestamp: string, source: string, traceId: string): Record<string, string> => ({
  event_type: eventType,
  payload: pythonJson(payload),
  trace_id: traceId,
  timestamp,
  source
})

/**
 * `count` bus entries following a portfolio of `trades` over `symbols` symbols: 70 % ticks,
 * 20 % opens and closes (a full close of a random open trade when more than the starting number
 * are open, an open when fewer, either at even), 10 % fills; one millisecond apart, each with
 * its own time.
 */
const entriesAfter = (start: number, symbols: number, initial: ReadonlyArray<Trade>, count: number, seed: number) => {
  const rnd = random(seed)
  const open = [...initial]
  const entries: Array<Record<string, string>> = []
  let trades = initial.length
  let orders = 0
  for (let i = 0; i < count; i++) {
    const at = start + 1 + i
    const when = pythonTime(at, Math.floor(rnd() * 1_000))
    const trace = rnd() < 0.5 ? "" : `${Math.floor(rnd() * 2 ** 32).toString(16).padStart(8, "0")}-bench`
    const symbol = symbolName(Math.floor(rnd() * symbols))
    const price = cents(100 + rnd() * 100)
    const r = rnd()
    if (r < 0.7) {
      entries.push(entry("market.tick", { symbol, price, volume: cents(rnd() * 1_000), timestamp: when }, when, "market_data", trace))
    } else if (r < 0.9 && (open.length < initial.length || (open.length === initial.length && r < 0.8))) {
      const trade = { id: `t${trades++}`, symbol, size: cents(0.1 + rnd()) }
      open.push(trade)
      const long = rnd() < 0.5
      entries.push(entry("trade.opened", {
        trade_id: trade.id, symbol, side: long ? "BUY" : "SELL", entry_price: price, quantity: trade.size, leverage: 5,
        stop_loss: cents(price * (long ? 0.97 : 1.03)), take_profit: cents(price * (long ? 1.05 : 0.95)),
        order_id: `o${orders++}`, strategy: "momentum_v2", confidence: cents(rnd()), timestamp: when
      }, when, "execution_service", trace))
    } else if (r < 0.9) {
      const k = Math.floor(rnd() * open.length)
      const trade = open[k]!
      open[k] = open[open.length - 1]!
      open.pop()
      entries.push(entry("trade.closed", {
        trade_id: trade.id, symbol: trade.symbol, exit_price: price, quantity: trade.size, realized_pnl: cents((rnd() - 0.5) * 50),
        fees: cents(price * trade.size * 0.0004), pnl_pct: cents((rnd() - 0.5) * 10), duration_sec: Math.floor(rnd() * 86_400),
        close_reason: "take_profit", timestamp: when
      }, when, "execution_service", trace))
    } else {
      entries.push(entry("order.executed", {
        order_id: `o${orders++}`, symbol, side: rnd() < 0.5 ? "BUY" : "SELL", quantity: cents(0.1 + rnd()), price,
        fee: cents(price * 0.0004), fee_asset: "USDT", status: "FILLED", order_type: "MARKET", timestamp: when
      }, when, "execution_service", trace))
    }
  }
  return { entries, openAtEnd: open.length }
}

// ---------------------------------------------------------------------------------------------
// Measuring and reporting
// ---------------------------------------------------------------------------------------------

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const percentile = (xs: ReadonlyArray<number>, q: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}
const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** A full garbage collection, so each section starts on a clean heap (the previous section's inputs gone). */
setFlagsFromString("--expose-gc")
const collectGarbage = runInNewContext("gc") as () => void

const rows: Array<[string, string, string]> = []
const row = (name: string, figure: string, note = "") => {
  rows.push([name, figure, note])
  console.error(`  ${name}: ${figure}`)
}

const ENTRIES = 200_000
const ROUNDS = 5
const SIZES = [10, 1_000, 10_000] as const
const MIX = "70 % ticks, 20 % opens and closes, 10 % fills"

/** Process CPU time (user + system) in µs: a loaded machine disturbs it less than the wall clock. */
const cpuMicros = () => {
  const used = process.cpuUsage()
  return used.user + used.system
}

/** One timed pass over `count` items: the wall-clock rate (per second) and CPU µs per item. */
const timed = (count: number, body: () => void): { rate: number; cpu: number } => {
  const cpuStart = cpuMicros()
  const start = performance.now()
  body()
  const wall = performance.now() - start
  return { rate: count / (wall / 1_000), cpu: (cpuMicros() - cpuStart) / count }
}

// 1. Headline: raw entries → decodeEnvelope → Portfolio.apply.
let decodeInputs: Array<Record<string, string>> = []
collectGarbage()
for (const n of SIZES) {
  const { symbols, trades, at } = portfolioWith(n)
  const { entries, openAtEnd } = entriesAfter(at, symbols, trades, ENTRIES, 11)
  const rates: Array<number> = []
  const cpu: Array<number> = []
  let applied = 0
  for (let round = 0; round < ROUNDS; round++) {
    const p = portfolioWith(n).p // every round from the same state: the entries' times are after it
    applied = 0
    const pass = timed(entries.length, () => {
      for (let i = 0; i < entries.length; i++) {
        const decoded = decodeEnvelope(entries[i]!)
        if (decoded._tag === "Left") throw new Error(decoded.left.message)
        if (Portfolio.apply(p, decoded.right)._tag === "Applied") applied++
      }
    })
    rates.push(pass.rate)
    cpu.push(pass.cpu)
    if (p.trades.size !== openAtEnd) throw new Error(`expected ${openAtEnd} open trades, found ${p.trades.size}`)
  }
  row(
    `**events/s end to end, ${fmt(n)} open positions** (raw entry → decodeEnvelope → Portfolio.apply)`,
    `${fmt(median(rates))} (CPU ${fmt(median(cpu), 2)} µs/event: ${fmt(1e6 / median(cpu))}/s of CPU time)`,
    `median of ${ROUNDS} × ${fmt(ENTRIES)} entries (${MIX}) over ${fmt(symbols)} symbols; ${fmt(openAtEnd)} open at the end; ${fmt((applied / ENTRIES) * 100, 1)} % applied`
  )
  if (n === 1_000) decodeInputs = entries
}

// 2. decodeEnvelope alone, on the entries of the 1 000-position run, beside its ceiling in the
// same rounds: JSON.parse of the same payloads, which any decoder has to do.
collectGarbage()
{
  const payloads = decodeInputs.map((e) => e["payload"]!)
  const decode: Array<{ rate: number; cpu: number }> = []
  const parse: Array<{ rate: number; cpu: number }> = []
  for (let round = 0; round < ROUNDS + 2; round++) {
    let ok = 0
    decode.push(timed(decodeInputs.length, () => {
      for (let i = 0; i < decodeInputs.length; i++) if (decodeEnvelope(decodeInputs[i]!)._tag === "Right") ok++
    }))
    if (ok !== decodeInputs.length) throw new Error(`only ${ok} of ${decodeInputs.length} entries decoded`)
    let objects = 0
    parse.push(timed(payloads.length, () => {
      for (let i = 0; i < payloads.length; i++) if (typeof JSON.parse(payloads[i]!) === "object") objects++
    }))
    if (objects !== payloads.length) throw new Error("a payload is not an object")
  }
  const decodeCpu = median(decode.map((d) => d.cpu))
  const parseCpu = median(parse.map((d) => d.cpu))
  row(
    "envelopes decoded per second (decodeEnvelope alone)",
    `${fmt(median(decode.map((d) => d.rate)))} (CPU ${fmt(decodeCpu, 2)} µs each: ${fmt(1e6 / decodeCpu)}/s of CPU time)`,
    `median of ${ROUNDS + 2} × ${fmt(decodeInputs.length)} entries of the same mix (target ≥ 300,000); ceiling in the same rounds, JSON.parse of the payloads alone: ${fmt(median(parse.map((d) => d.rate)))}/s (CPU ${fmt(parseCpu, 2)} µs), so decoding costs ${fmt(decodeCpu / parseCpu, 2)} × JSON.parse`
  )
  decodeInputs = []
}

// 3. Snapshot as published: Valuation.value + Valuation.snapshot with drawdown + JSON.stringify.
collectGarbage()
for (const n of [100, 1_000, 10_000]) {
  const { p, at } = portfolioWith(n)
  // A week of equity samples every 10 s, as the service records them, ending at `at`.
  const drawdown = Drawdown.make(p.calendar)
  const rnd = random(5)
  let equity = 100_000
  for (let t = at - 7 * 86_400_000; t <= at; t += 10_000) {
    equity = Math.max(1_000, equity * (1 + (rnd() - 0.5) * 0.002))
    Drawdown.record(drawdown, { at: t, equity })
  }
  const build = () => Valuation.snapshot(p, Valuation.value(p, 100_000, at), drawdown)
  const iterations = n <= 1_000 ? 2_000 : 200
  for (let i = 0; i < Math.min(iterations, 200); i++) JSON.stringify(build()) // warm-up
  const total: Array<number> = []
  const json: Array<number> = []
  let bytes = 0
  for (let i = 0; i < iterations; i++) {
    const start = performance.now()
    const snapshot = build()
    const built = performance.now()
    const text = JSON.stringify(snapshot)
    const end = performance.now()
    total.push((end - start) * 1_000)
    json.push((end - built) * 1_000)
    bytes = text.length
    if (snapshot.num_positions !== n) throw new Error("snapshot lost positions")
  }
  const mean = total.reduce((a, b) => a + b, 0) / total.length
  row(
    `snapshot with drawdown, as JSON, ${fmt(n)} positions`,
    `mean ${fmt(mean, 1)} µs, median ${fmt(median(total), 1)} µs, p99 ${fmt(percentile(total, 0.99), 1)} µs`,
    `${fmt(iterations)} builds of ${fmt(bytes / 1_024, 1)} KiB; JSON.stringify alone median ${fmt(median(json), 1)} µs (seed: 50 ms)`
  )
}

// 4a. Secondary: pre-decoded ticks through Portfolio.apply (no decoding: not end to end).
collectGarbage()
const TICKS = 1_000_000
for (const n of SIZES) {
  const { p, symbols, at } = portfolioWith(n)
  const rnd = random(7)
  const ticks = Array.from({ length: TICKS }, (_, i) => tickEvent(at + i, symbolName(i % symbols), cents(100 + rnd() * 100)))
  const rates: Array<number> = []
  for (let round = 0; round < 3; round++) {
    // The same ticks again would be stale (older than the last price): each round starts afresh.
    const state = round === 0 ? p : portfolioWith(n).p
    const start = performance.now()
    for (let i = 0; i < TICKS; i++) Portfolio.apply(state, ticks[i]!)
    rates.push(TICKS / ((performance.now() - start) / 1_000))
  }
  row(`secondary: pre-decoded ticks/s, Portfolio.apply only, ${fmt(n)} open positions`, fmt(median(rates)), `median of 3 × ${fmt(TICKS)} decoded market.tick over ${fmt(symbols)} symbols; no decoding`)
}

// 4b. Secondary: replay of 1 000 000 mixed pre-decoded events through Backtest.feed.
collectGarbage()
{
  const rnd = random(42)
  const EVENTS = 1_000_000
  const SYMBOLS = 50
  const OPEN_LIMIT = 200 // opens and closes balance around this many open trades
  const events: Array<IncomingEvent> = []
  const open: Array<{ id: string; symbol: string }> = []
  let trades = 0
  let orders = 0
  for (let i = 0; i < EVENTS; i++) {
    const at = T0 + i * 250 // four events a second: 69 hours of event time, crossing days
    const symbol = symbolName(Math.floor(rnd() * SYMBOLS))
    const price = 100 + rnd() * 10
    const r = rnd()
    if (r < 0.9) events.push(tickEvent(at, symbol, price))
    else if ((r < 0.95 && open.length < OPEN_LIMIT) || open.length === 0) {
      const id = `t${trades++}`
      open.push({ id, symbol })
      events.push(openEvent(at, id, symbol, rnd() < 0.5 ? "LONG" : "SHORT", price, 0.1 + rnd()))
    } else if (r < 0.97) {
      const [closed] = open.splice(Math.floor(rnd() * open.length), 1)
      events.push(closeEvent(at, closed!.id, price))
    } else events.push(fillEvent(at, `o${orders++}`, symbol, rnd() < 0.5 ? "BUY" : "SELL", price, 0.1))
  }
  const rates: Array<number> = []
  let final = Backtest.make()
  for (let round = 0; round < 3; round++) {
    final = Backtest.make({ initialCash: 100_000 })
    const start = performance.now()
    for (const e of events) Backtest.feed(final, e)
    rates.push(EVENTS / ((performance.now() - start) / 1_000))
  }
  row(
    "secondary: pre-decoded replay through Backtest.feed, events/s",
    fmt(median(rates)),
    `median of 3 × ${fmt(EVENTS)} decoded events (90 % ticks, the rest opens, closes and fills, ≤ 200 open trades; ${fmt(final.portfolio.trades.size)} open at the end; equity sampled every 10 s of event time; ${fmt(final.portfolio.counters.applied)} applied); no decoding`
  )
}

console.log(`\n@portfolio/core benchmarks — Node ${process.version}, ${process.platform}/${process.arch}\n`)
console.log("| benchmark | figure | notes |")
console.log("|---|---|---|")
for (const [name, figure, note] of rows) console.log(`| ${name} | ${figure} | ${note} |`)
