/**
 * Benchmarks of the accounting core: price ticks applied per second, snapshot build time,
 * replay throughput of a million mixed events, and envelope decode throughput.
 *
 *   pnpm --filter @portfolio/core bench
 *
 * Everything runs in process on pre-built inputs (no I/O); loops are bounded; the whole run
 * takes well under two minutes. Prints a markdown table.
 */
import { performance } from "node:perf_hooks"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Backtest, decodeEnvelope, encodeIncoming, Portfolio, Valuation, type IncomingEvent } from "@portfolio/core"

/** A small deterministic generator (mulberry32), so every run measures the same inputs. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const T0 = Date.parse("2025-03-03T00:00:00Z")
const symbolName = (i: number) => `S${i}USDT`
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

/** A portfolio with `n` open trades over `min(n, 1 000)` symbols, every symbol priced. */
const portfolioWith = (n: number) => {
  const rnd = random(n)
  const p = Portfolio.make()
  const symbols = Math.min(n, 1_000)
  for (let i = 0; i < n; i++) {
    Portfolio.apply(p, openEvent(T0 + i, `t${i}`, symbolName(i % symbols), rnd() < 0.5 ? "LONG" : "SHORT", 100 + rnd() * 100, 0.1 + rnd()))
  }
  for (let s = 0; s < symbols; s++) Portfolio.apply(p, tickEvent(T0 + n + s, symbolName(s), 100 + rnd() * 100))
  return { p, symbols, at: T0 + n + symbols }
}

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

collectGarbage()
// 1. Snapshot build: Valuation.value + Valuation.snapshot (first, on a clean heap).
for (const n of [10, 1_000, 10_000]) {
  const { p, at } = portfolioWith(n)
  const iterations = n <= 1_000 ? 5_000 : 500
  for (let i = 0; i < Math.min(iterations, 500); i++) Valuation.snapshot(p, Valuation.value(p, 10_000, at)) // warm-up
  const times: Array<number> = []
  for (let i = 0; i < iterations; i++) {
    const start = performance.now()
    const s = Valuation.snapshot(p, Valuation.value(p, 10_000, at))
    times.push((performance.now() - start) * 1_000)
    if (s.num_positions !== n) throw new Error("snapshot lost positions")
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  row(`snapshot build, ${fmt(n)} positions`, `mean ${fmt(mean, 1)} µs, median ${fmt(median(times), 1)} µs, p99 ${fmt(percentile(times, 0.99), 1)} µs`, `${fmt(iterations)} builds${n === 1_000 ? " (target ≤ 100 µs)" : ""}`)
}

collectGarbage()
// 2. Ticks per second: Portfolio.apply with pre-decoded market.tick events.
const TICKS = 1_000_000
for (const n of [10, 1_000, 10_000]) {
  const { p, symbols, at } = portfolioWith(n)
  const rnd = random(7)
  const ticks = Array.from({ length: TICKS }, (_, i) => tickEvent(at + i, symbolName(i % symbols), 100 + rnd() * 100))
  const rates: Array<number> = []
  for (let round = 0; round < 5; round++) {
    // The same ticks again would be stale (older than the last price): each round starts afresh.
    const state = round === 0 ? p : portfolioWith(n).p
    const start = performance.now()
    for (let i = 0; i < TICKS; i++) Portfolio.apply(state, ticks[i]!)
    rates.push(TICKS / ((performance.now() - start) / 1_000))
  }
  row(`ticks applied per second, ${fmt(n)} open positions`, fmt(median(rates)), `median of 5 × ${fmt(TICKS)} ticks over ${fmt(symbols)} symbols (target ≥ 2,000,000)`)
}

collectGarbage()
// 3. Replay: 1 000 000 mixed pre-decoded events through Backtest.feed.
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
  const counts = final.portfolio.counters
  row(
    "replay through Backtest.feed, events per second",
    fmt(median(rates)),
    `median of 3 × ${fmt(EVENTS)} events (90 % ticks, the rest opens, closes and fills, ≤ 200 open trades; ${fmt(final.portfolio.trades.size)} open at the end; equity sampled every 10 s of event time; ${fmt(counts.applied)} applied)`
  )
}

collectGarbage()
// 4. Decode: decodeEnvelope on bus envelopes (payload a JSON string).
{
  const rnd = random(3)
  const ENVELOPES = 100_000
  const when = "2025-03-07T12:34:56.789012"
  const envelopes = Array.from({ length: ENVELOPES }, (_, i) => {
    const r = rnd()
    if (r < 0.7) return encodeIncoming("market.tick", { symbol: "BTCUSDT", price: 40_000 + rnd() * 100, timestamp: when })
    if (r < 0.8) return encodeIncoming("trade.opened", { trade_id: `t${i}`, symbol: "ETHUSDT", side: "BUY", entry_price: 3_000, quantity: 0.5, leverage: 10, stop_loss: 2_900, take_profit: 3_200, timestamp: when })
    if (r < 0.9) return encodeIncoming("trade.closed", { trade_id: `t${i}`, exit_price: 3_050, quantity: 0.5, realized_pnl: 25, fees: 0.3, timestamp: when })
    return encodeIncoming("order.executed", { order_id: `o${i}`, symbol: "SOLUSDT", side: "SELL", quantity: 2, price: 150, fee: 0.06, timestamp: when })
  })
  for (let i = 0; i < 10_000; i++) decodeEnvelope(envelopes[i]!) // warm-up
  const rates: Array<number> = []
  for (let round = 0; round < 3; round++) {
    let ok = 0
    const start = performance.now()
    for (const e of envelopes) if (decodeEnvelope(e)._tag === "Right") ok++
    rates.push(ENVELOPES / ((performance.now() - start) / 1_000))
    if (ok !== ENVELOPES) throw new Error(`only ${ok} of ${ENVELOPES} envelopes decoded`)
  }
  row("envelopes decoded per second (decodeEnvelope)", fmt(median(rates)), `median of 3 × ${fmt(ENVELOPES)} (70 % ticks, trades, fills)`)
}

console.log(`\n@portfolio/core benchmarks — Node ${process.version}, ${process.platform}/${process.arch}\n`)
console.log("| benchmark | figure | notes |")
console.log("|---|---|---|")
for (const [name, figure, note] of rows) console.log(`| ${name} | ${figure} | ${note} |`)
