import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Reconciliation from "../src/domain/Reconciliation.js"
import type { ExchangePosition } from "../src/ports/AccountBalance.js"
import type { NetPosition } from "../src/schema/Responses.js"

const net = (symbol: string, side: "LONG" | "SHORT", size: number, entry: number): NetPosition => ({
  symbol,
  side,
  size,
  entry_price: entry,
  current_price: entry,
  unrealized_pnl: 0,
  exposure: size * entry,
  num_trades: 1
})

const theirs = (symbol: string, side: "LONG" | "SHORT", size: number, entry: number): ExchangePosition => ({
  symbol,
  side,
  size,
  entryPrice: entry,
  markPrice: entry,
  leverage: 10,
  unrealizedPnl: 0
})

const toExchange = (p: NetPosition): ExchangePosition => theirs(p.symbol, p.side, p.size, p.entry_price)

describe("Reconciliation.reconcile", () => {
  it("matches identical books, whatever the order and the symbol case", () => {
    const report = Reconciliation.reconcile(
      [net("BTCUSDT", "LONG", 0.5, 60_000), net("ETHUSDT", "SHORT", 3, 3_000)],
      [theirs("ethusdt", "SHORT", 3, 3_000), theirs("BTCUSDT", "LONG", 0.5, 60_000)]
    )
    expect(report).toEqual({ matched: true, differences: [], compared: 2 })
  })

  it("reports a position held here only and one held on the exchange only", () => {
    const report = Reconciliation.reconcile(
      [net("BTCUSDT", "LONG", 0.5, 60_000)],
      [theirs("SOLUSDT", "SHORT", 10, 150)]
    )
    expect(report.matched).toBe(false)
    expect(report.differences).toEqual([
      { _tag: "MissingOnExchange", symbol: "BTCUSDT", side: "LONG", ourSize: 0.5, ourEntryPrice: 60_000 },
      { _tag: "MissingHere", symbol: "SOLUSDT", side: "SHORT", theirSize: 10, theirEntryPrice: 150 }
    ])
  })

  it("compares by (symbol, side): a LONG here and a SHORT there are two differences", () => {
    const report = Reconciliation.reconcile([net("BTCUSDT", "LONG", 1, 100)], [theirs("BTCUSDT", "SHORT", 1, 100)])
    expect(report.differences.map((d) => `${d._tag} ${d.side}`)).toEqual(["MissingOnExchange LONG", "MissingHere SHORT"])
  })

  it("reports sizes and entries apart beyond the tolerances, not within them", () => {
    const within = Reconciliation.reconcile([net("BTCUSDT", "LONG", 1, 60_000)], [theirs("BTCUSDT", "LONG", 1 + 1e-9, 60_001)])
    expect(within.matched).toBe(true)
    const beyond = Reconciliation.reconcile([net("BTCUSDT", "LONG", 1, 60_000)], [theirs("BTCUSDT", "LONG", 1.1, 60_030)])
    expect(beyond.differences).toEqual([
      { _tag: "SizeDiffers", symbol: "BTCUSDT", side: "LONG", ourSize: 1, theirSize: 1.1, relativeDifference: Reconciliation.relativeDifference(1, 1.1) },
      {
        _tag: "EntryDiffers",
        symbol: "BTCUSDT",
        side: "LONG",
        ourEntryPrice: 60_000,
        theirEntryPrice: 60_030,
        relativeDifference: Reconciliation.relativeDifference(60_000, 60_030)
      }
    ])
    const loose = Reconciliation.reconcile([net("BTCUSDT", "LONG", 1, 60_000)], [theirs("BTCUSDT", "LONG", 1.1, 60_030)], {
      sizeTolerance: 0.2,
      entryTolerance: 0.001
    })
    expect(loose.matched).toBe(true)
  })

  it("aggregates several rows of one key, and treats a zero size as no position", () => {
    const report = Reconciliation.reconcile(
      [net("BTCUSDT", "LONG", 1, 100), net("BTCUSDT", "LONG", 3, 200), net("ETHUSDT", "LONG", 0, 10)],
      [theirs("BTCUSDT", "LONG", 4, 175)]
    )
    expect(report).toEqual({ matched: true, differences: [], compared: 1 })
  })

  it("always reports a non-finite number", () => {
    const report = Reconciliation.reconcile([net("BTCUSDT", "LONG", Number.NaN, 100)], [theirs("BTCUSDT", "LONG", 1, 100)])
    expect(report.differences.map((d) => d._tag)).toEqual(["SizeDiffers"])
  })

  it("describes each difference in one line", () => {
    const report = Reconciliation.reconcile([net("BTCUSDT", "LONG", 1, 100)], [theirs("BTCUSDT", "LONG", 2, 100)])
    expect(report.differences.map(Reconciliation.describe)).toEqual(["BTCUSDT LONG: size 1 here, 2 on the exchange"])
  })

  const side = fc.constantFrom<"LONG" | "SHORT">("LONG", "SHORT")
  const positive = fc.double({ min: 1e-6, max: 1e6, noNaN: true, noDefaultInfinity: true })
  const book = fc.uniqueArray(
    fc.record({ symbol: fc.stringMatching(/^[A-Z]{2,6}USDT$/), side, size: positive, entry: positive }),
    { selector: (p) => `${p.symbol}/${p.side}`, maxLength: 30 }
  ).map((rows) => rows.map((r) => net(r.symbol, r.side, r.size, r.entry)))

  it("property: a book reconciled with itself has no difference", () => {
    fc.assert(
      fc.property(book, (ours) => {
        const report = Reconciliation.reconcile(ours, ours.map(toExchange))
        return report.matched && report.differences.length === 0 && report.compared === ours.length
      })
    )
  })

  it("property: a perturbed size is reported, for that key only", () => {
    fc.assert(
      fc.property(
        book.filter((b) => b.length > 0),
        fc.nat(),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        fc.boolean(),
        (ours, pick, factor, grow) => {
          const index = pick % ours.length
          const target = ours[index]!
          const exchange = ours.map(toExchange)
          const perturbed = grow ? target.size * (1 + factor) : target.size / (1 + factor)
          exchange[index] = { ...exchange[index]!, size: perturbed }
          const report = Reconciliation.reconcile(ours, exchange)
          return (
            !report.matched &&
            report.differences.length === 1 &&
            report.differences[0]!._tag === "SizeDiffers" &&
            report.differences[0]!.symbol === target.symbol &&
            report.differences[0]!.side === target.side
          )
        }
      )
    )
  })
})
