/**
 * Benchmarks of the Binance adapters against the fake exchange on 127.0.0.1 (never a real
 * Binance host): mark-price frames parsed and applied per second (over the socket, and the
 * parse-and-apply step alone), and the round trip of a signed balance request.
 *
 * Run: `pnpm --filter @portfolio/adapters-binance bench`
 */
import { PriceFeed } from "@portfolio/core"
import { Context, Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import * as BinancePriceFeed from "../src/BinancePriceFeed.js"
import { PriceBook } from "../src/internal/priceBook.js"
import * as BinanceRestClient from "../src/BinanceRestClient.js"
import { parseFrame } from "../src/internal/streamSocket.js"
import { Balances } from "../src/internal/wire.js"
import { FakeBinance } from "../src/testing/index.js"

const SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${i}USDT`)
const STREAM_MESSAGES = 200_000
const PARSE_MESSAGES = 500_000
const ROUND_TRIPS = 2_000

const rows: Array<[string, string]> = []
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const quantile = (sorted: ReadonlyArray<number>, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

/** Frames pushed by the fake, read by the feed's socket, parsed, applied and published. */
const streamThroughput = Effect.gen(function*() {
  const fake = yield* FakeBinance.scoped()
  const feed = Context.get(yield* Layer.build(BinancePriceFeed.layer({ wsUrl: fake.wsUrl, restUrl: fake.restUrl })), PriceFeed)
  yield* feed.subscribe(SYMBOLS)
  for (let round = 0; fake.openConnections()[0]?.streams.length !== SYMBOLS.length; round++) {
    if (round > 1_000) return yield* Effect.die(new Error("the fake never saw the subscriptions"))
    yield* Effect.sleep("10 millis")
  }
  let received = 0
  yield* Effect.forkScoped(Stream.runForEach(feed.ticks, () => Effect.sync(() => void received++)))
  yield* Effect.sleep("50 millis")
  const started = performance.now()
  const batch = 1_000
  for (let sent = 0; sent < STREAM_MESSAGES; sent += batch) {
    for (let i = sent; i < sent + batch; i++) fake.pushMarkPrice(SYMBOLS[i % SYMBOLS.length]!, 1_000 + i, 1_000_000 + i)
    yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
  }
  const last = SYMBOLS.map((symbol, s) => ({ symbol, price: 1_000 + STREAM_MESSAGES - SYMBOLS.length + s }))
  const deadline = Date.now() + 60_000
  for (const { price, symbol } of last) {
    while (Option.getOrUndefined(yield* feed.latest(symbol))?.price !== price) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`${symbol} never reached ${price}`))
      yield* Effect.sleep("1 millis")
    }
  }
  const seconds = (performance.now() - started) / 1000
  rows.push([`mark-price frames over the socket (fake in-process, ${SYMBOLS.length} streams, ${fmt(STREAM_MESSAGES)} frames)`, `${fmt(STREAM_MESSAGES / seconds)} msg/s`])
  rows.push(["ticks delivered to a `ticks` reader during that run", `${fmt(received)} of ${fmt(STREAM_MESSAGES)}`])
})

/** The parse-and-apply step alone, on frames already serialised. */
const parseThroughput = Effect.sync(() => {
  const book = new PriceBook()
  book.subscribe(SYMBOLS, 0)
  const frames = SYMBOLS.map((symbol, s) =>
    (i: number) =>
      `{"stream":"${symbol.toLowerCase()}@markPrice@1s","data":{"e":"markPriceUpdate","E":${1_000_000 + i},"s":"${symbol}","p":"${(1_000 + i + s).toFixed(8)}","i":"1000.00000000","P":"1000.00000000","r":"0.00010000","T":1700000000000}}`
  )
  const started = performance.now()
  let applied = 0
  for (let i = 0; i < PARSE_MESSAGES; i++) {
    const frame = parseFrame(frames[i % SYMBOLS.length]!(i))
    if (frame?._tag === "MarkPrice" && book.apply({ symbol: frame.symbol, price: frame.price, at: frame.at }, i)) applied++
  }
  const seconds = (performance.now() - started) / 1000
  rows.push([`mark-price frames parsed and applied, no socket (${fmt(PARSE_MESSAGES)} frames)`, `${fmt(applied / seconds)} msg/s`])
})

/** Signed `GET /fapi/v3/balance` round trips, one at a time. */
const signedRoundTrip = Effect.gen(function*() {
  const fake = yield* FakeBinance.scoped({ weightLimitPerMinute: 1_000_000_000 })
  fake.setBalances([{ asset: "USDT", balance: 10_000 }, { asset: "BNB", balance: 1 }])
  // A budget the round trips never exhaust: this measures the request, not the rate limiter.
  const client = yield* BinanceRestClient.make({ restUrl: fake.restUrl, weightPerMinute: 1_000_000_000 })
  const signer: BinanceRestClient.Signer = {
    apiKey: Redacted.make(fake.apiKey),
    apiSecret: Redacted.make(fake.apiSecret),
    recvWindow: 5_000,
    timeSyncInterval: Duration.hours(1)
  }
  for (let i = 0; i < 100; i++) yield* client.signedGet(signer, "/fapi/v3/balance", [], Balances)
  const samples: Array<number> = []
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = performance.now()
    yield* client.signedGet(signer, "/fapi/v3/balance", [], Balances)
    samples.push(performance.now() - started)
  }
  samples.sort((a, b) => a - b)
  rows.push([`signed balance round trip p50 (${fmt(ROUND_TRIPS)} sequential requests)`, `${fmt(quantile(samples, 0.5), 3)} ms`])
  rows.push(["signed balance round trip p99", `${fmt(quantile(samples, 0.99), 3)} ms`])
  // Baseline on the same machine: a bare fetch of an unsigned endpoint, no Effect, no signing.
  const bare: Array<number> = []
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = performance.now()
    yield* Effect.promise(() => fetch(`${fake.restUrl}/fapi/v1/time`).then((r) => r.text()))
    bare.push(performance.now() - started)
  }
  bare.sort((a, b) => a - b)
  rows.push(["baseline: bare `fetch` of `/fapi/v1/time` p50 / p99", `${fmt(quantile(bare, 0.5), 3)} ms / ${fmt(quantile(bare, 0.99), 3)} ms`])
})

const program = Effect.gen(function*() {
  yield* Effect.scoped(signedRoundTrip)
  yield* Effect.scoped(streamThroughput)
  yield* parseThroughput
  console.log("| @portfolio/adapters-binance | result |")
  console.log("|---|---|")
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`)
})

Effect.runPromise(program.pipe(Effect.withLogSpan("bench"), Effect.orDie)).catch((error) => {
  console.error(error)
  process.exit(1)
})
