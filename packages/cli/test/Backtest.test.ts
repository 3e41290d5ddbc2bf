/**
 * `portfolio backtest` against the live service: the same events through the CLI (a child
 * process, from a gzip file) and through `PortfolioLive` on memory ports (the clock set to each
 * event's time) give the same snapshot, PnL windows, trade statistics and equity at the same
 * event times. Bad lines stop the run with their line number, or are skipped and counted.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  AccountBalance,
  EquityHistory,
  EventBus,
  MemoryEquityHistory,
  MemoryEventBus,
  MemoryPriceFeed,
  MemoryTradeStore,
  PaperBalance,
  PortfolioConfig,
  PortfolioLive,
  PortfolioService,
  PriceFeed,
  TradeStore
} from "@portfolio/core"
import { eventually } from "@portfolio/core/testing"
import { Context, Duration, Effect, Exit, Layer, Scope, TestClock } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { cli, DAY, type Envelope, HOUR, parseCsv, session, T0, tempDir } from "./support/Session.js"

const events = session(4)
const jsonl = (envs: ReadonlyArray<unknown>) => envs.map((e) => JSON.stringify(e)).join("\n") + "\n"
const atOf = (e: Envelope) => Date.parse(`${e.timestamp}Z`)

/** The live service on memory ports, fed one event at a time with the clock at the event's time. */
const live = (envs: ReadonlyArray<Envelope>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(atOf(envs[0]!) - 1)
    const store = yield* MemoryTradeStore.make
    const history = yield* MemoryEquityHistory.make
    const { bus } = yield* MemoryEventBus.make()
    const { feed } = yield* MemoryPriceFeed.make({ staleAfter: Duration.infinity })
    const ports = Context.make(TradeStore, store).pipe(
      Context.add(EquityHistory, history),
      Context.add(EventBus, bus),
      Context.add(PriceFeed, feed),
      Context.add(AccountBalance, PaperBalance.make(10_000))
    )
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(PortfolioLive.layer, scope).pipe(
      Effect.provide(
        Layer.merge(
          Layer.succeedContext(ports),
          // No periodic samples; lifecycle ones published at once.
          PortfolioConfig.layer({ snapshotInterval: Duration.days(10_000), lifecycleSnapshotThrottle: Duration.zero })
        )
      )
    )
    const service = Context.get(context, PortfolioService)
    for (const env of envs) {
      yield* TestClock.setTime(atOf(env))
      const before = (yield* history.range()).length
      const [result] = yield* service.ingestMany([env])
      expect(result!.status, JSON.stringify(result)).toBe("applied")
      // A lifecycle event is sampled by the service itself; a tick is sampled by asking for a
      // snapshot, so that both sides sample after every event (the backtest with interval 0).
      if (env.event_type === "market.tick") yield* service.publishSnapshot
      yield* eventually(history.range(), (s) => s.length > before, { what: "a sample" })
    }
    const out = {
      snapshot: yield* service.snapshot,
      pnl: yield* service.pnl,
      drawdown: yield* service.drawdown,
      analytics: yield* service.analytics.analytics("all"),
      samples: yield* history.range()
    }
    yield* Scope.close(scope, Exit.void)
    return out
  })

describe("portfolio backtest", () => {
  it.effect("gives the live service's snapshot, windows, statistics and equity at the same event times", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = join(dir, "session.jsonl.gz")
      writeFileSync(file, gzipSync(jsonl(events)))
      const equityCsv = join(dir, "equity.csv")
      const run = yield* Effect.promise(() => cli(["backtest", file, "--json", "--sample-interval-ms", "0", "--equity", equityCsv]))
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const result = JSON.parse(run.stdout)
      const service = yield* live(events)

      expect(result.applied).toBe(events.length)
      expect(result.snapshot).toEqual(service.snapshot)
      expect(result.pnl).toEqual(service.pnl)
      expect(result.drawdown).toEqual(service.drawdown)
      expect(service.pnl.num_closed_trades).toBeGreaterThan(20)
      // The summary's statistics are the service's (the window is the whole run).
      expect(result.summary.round_trips).toBe(service.pnl.num_closed_trades)
      expect(result.summary.win_rate).toBe(service.pnl.win_rate)
      expect(result.summary.profit_factor).toBeCloseTo(service.pnl.profit_factor, 9)
      expect(result.summary.realized_pnl).toBeCloseTo(service.pnl.realized_pnl_total, 6)
      // Return and round-trip statistics: core's analytics on the same daily closes and round trips.
      const { returns, round_trips } = service.analytics
      expect(returns.days).toBeGreaterThan(2)
      for (const [mine, theirs] of [
        [result.summary.sharpe, returns.sharpe],
        [result.summary.sortino, returns.sortino],
        [result.summary.annual_volatility, returns.annual_volatility],
        [result.summary.expectancy, round_trips.expectancy],
        [result.summary.kelly, round_trips.kelly_fraction]
      ] as const) {
        expect(mine).not.toBeNull()
        expect(mine!).toBeCloseTo(theirs!, 12)
      }

      // Every live sample is the backtest's equity at that event time.
      const rows = parseCsv(readFileSync(equityCsv, "utf8"))
      expect(rows[0]).toEqual(["at", "time", "equity", "cash", "unrealized_pnl"])
      const backtest = new Map<number, number>()
      for (const [at, , equity] of rows.slice(1)) backtest.set(Number(at), Number(equity))
      const samples = service.samples.filter((s) => s.at >= atOf(events[0]!))
      expect(samples.length).toBe(events.length)
      for (const s of samples) expect(backtest.get(s.at), `equity at ${new Date(s.at).toISOString()}`).toBe(s.equity)
    }), 120_000)

  it.live("stops at a corrupt line, naming its file and line; --skip-invalid skips and counts it", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = join(dir, "broken.jsonl")
      const lines = jsonl(events.slice(0, 50)).split("\n")
      lines[9] = lines[9]!.slice(0, 40) // line 10 cut short
      lines[19] = "not json at all" // line 20 corrupt
      writeFileSync(file, lines.join("\n"))

      const stopped = yield* Effect.promise(() => cli(["backtest", file]))
      expect(stopped.code).toBe(1)
      expect(stopped.stderr).toContain(`${file}:10: not JSON`)
      expect(stopped.stdout).toBe("")

      const skipped = yield* Effect.promise(() => cli(["backtest", file, "--skip-invalid", "--json"]))
      expect(skipped.code).toBe(0)
      const result = JSON.parse(skipped.stdout)
      expect(result.badLines).toBe(2)
      expect(result.badLineList.map((b: { line: number }) => b.line)).toEqual([10, 20])
      expect(result.applied).toBe(48)
    }), 60_000)

  it.live("--from/--to: earlier events carried in but not reported, later ones not applied; the CSV files hold the window", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = join(dir, "s.jsonl")
      writeFileSync(file, jsonl(events))
      const from = T0 + DAY + 6 * HOUR
      const to = T0 + 3 * DAY
      const trades = join(dir, "closes.csv")
      const equity = join(dir, "equity.csv")
      const run = yield* Effect.promise(() =>
        cli(["backtest", file, "--json", "--from", new Date(from).toISOString(), "--to", String(to), "--trades", trades, "--equity", equity])
      )
      expect(run.stderr).toBe("")
      const result = JSON.parse(run.stdout)
      const inWindow = events.filter((e) => atOf(e) < to)
      expect(result.applied).toBe(inWindow.length)
      expect(result.afterWindow).toBe(events.length - inWindow.length)
      expect(result.firstEventAt).toBeGreaterThanOrEqual(from)
      expect(result.lastEventAt).toBeLessThan(to)
      // The closes file: the window's closes, with a header; realized PnL is their sum.
      const closes = parseCsv(readFileSync(trades, "utf8"))
      expect(closes[0]![0]).toBe("close_id")
      const closedAt = closes[0]!.indexOf("closed_at")
      const realized = closes[0]!.indexOf("realized_pnl")
      const rows = closes.slice(1)
      expect(rows.length).toBeGreaterThan(5)
      for (const r of rows) {
        expect(Number(r[closedAt])).toBeGreaterThanOrEqual(from)
        expect(Number(r[closedAt])).toBeLessThan(to)
      }
      expect(result.summary.realized_pnl).toBeCloseTo(rows.reduce((a, r) => a + Number(r[realized]), 0), 9)
      // Positions opened before the window are carried in: some of its closes are of trades opened before it.
      const openedAt = closes[0]!.indexOf("opened_at")
      expect(rows.some((r) => Number(r[openedAt]) < from)).toBe(true)
      const samples = parseCsv(readFileSync(equity, "utf8")).slice(1)
      expect(samples.every(([at]) => Number(at) >= from && Number(at) < to)).toBe(true)
      // The run without a window, cut at the same end, has the same final state.
      const cut = join(dir, "cut.jsonl")
      writeFileSync(cut, jsonl(inWindow))
      const whole = JSON.parse((yield* Effect.promise(() => cli(["backtest", cut, "--json"]))).stdout)
      expect(result.snapshot).toEqual(whole.snapshot)
    }), 60_000)

  it.live("names the bad flag", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = join(dir, "s.jsonl")
      writeFileSync(file, jsonl(events.slice(0, 5)))
      const zone = yield* Effect.promise(() => cli(["backtest", file, "--timezone", "Mars/Olympus"]))
      expect(zone.code).toBe(1)
      expect(zone.stderr + zone.stdout).toContain("--timezone")
      const from = yield* Effect.promise(() => cli(["backtest", file, "--from", "yesterday"]))
      expect(from.code).toBe(1)
      expect(from.stderr + from.stdout).toContain("--from")
    }), 60_000)
})
