/**
 * Three accounts, three instances of the service, one Redis and one PostgreSQL schema (issue
 * 15, DESIGN.md §8): each instance has its `PORTFOLIO_ACCOUNT_ID` and its own stream prefix
 * (`PORTFOLIO_STREAM_PREFIX=quantum:<account>:stream:`). The producers of the three accounts
 * write interleaved entries — the same trade ids in every account, at different prices — and
 * entries on the default streams that no instance must read. In the end each instance holds
 * exactly the state that the service on memory adapters computes from its account's entries
 * alone (in the order the service merges them), its rows in the shared tables are its own, its
 * groups are `quantum:group:portfolio_intelligence@<account>:<type>` and what it publishes goes
 * to its streams with `source = portfolio_intelligence@<account>`.
 */
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer } from "effect"
import { PortfolioConfig, PortfolioLive, PortfolioService } from "@portfolio/core"
import * as Adapters from "../src/Adapters.js"
import * as Http from "./support/Http.js"
import * as Postgres from "./support/Postgres.js"
import * as ServerProcess from "./support/ServerProcess.js"
import * as Streams from "./support/Streams.js"
import { waitFor } from "./support/WaitFor.js"

const TYPES = ["trade.opened", "order.executed", "trade.closed", "market.tick"] as const
const ACCOUNTS = ["acct-a", "acct-b", "acct-c"] as const

const prefixOf = (account: string) => `quantum:${account}:stream:`
const groupOf = (account: string, type: string) => `quantum:group:portfolio_intelligence@${account}:${type}`

/**
 * Account k's events: the same trade ids in every account (cycles overlap), prices × (k + 1);
 * each burst ends at another point of a cycle, so 2, 1 and 0 trades stay open.
 */
const eventsOf = (k: number): Array<Streams.BusEvent> =>
  Streams.mixed(1_212 + 303 * k, { prefix: "T", from: 400 * k }).map((e) => {
    const payload: Record<string, unknown> = { ...e.payload }
    for (const field of ["entry_price", "exit_price", "price"]) {
      if (typeof payload[field] === "number") payload[field] = (payload[field] as number) * (k + 1)
    }
    return { ...e, payload }
  })

const xadd = (prefix: string, e: Streams.BusEvent): Array<string> => ["XADD", `${prefix}${e.type}`, "*", ...Streams.fieldsOf(e)]

/** Whether the account's groups have read and acknowledged every entry of its streams. */
const consumed = async (pipe: Streams.Pipe, account: string): Promise<boolean> => {
  for (const type of TYPES) {
    const stream = `${prefixOf(account)}${type}`
    const { length } = await Streams.streamInfo(pipe, stream)
    const group = await Streams.groupInfo(pipe, stream, groupOf(account, type))
    if (group === undefined ? length > 0 : group.pending !== 0 || group.lag !== 0) return false
  }
  return true
}

/** The account's entries in the service's merge order (entry id; within a millisecond opened < executed < closed < tick). */
const entriesInMergeOrder = async (pipe: Streams.Pipe, account: string) => {
  const all: Array<{ readonly ms: number; readonly idSeq: number; readonly rank: number; readonly fields: Record<string, string> }> = []
  for (const [rank, type] of TYPES.entries()) {
    const entries = (await pipe.command("XRANGE", `${prefixOf(account)}${type}`, "-", "+")) as ReadonlyArray<readonly [string, ReadonlyArray<string>]>
    for (const [id, flat] of entries) {
      const fields: Record<string, string> = {}
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
      const [ms, idSeq] = id.split("-").map(Number) as [number, number]
      all.push({ ms, idSeq, rank, fields })
    }
  }
  return all.sort((a, b) => a.ms - b.ms || a.rank - b.rank || a.idSeq - b.idSeq).map((e) => e.fields)
}

const memory: Adapters.Choice = { store: { kind: "memory" }, bus: { kind: "memory" }, exchange: { kind: "paper", initialCash: 10_000 } }

/** The service on memory adapters for `account`, fed `entries` one by one: its snapshot and PnL. */
const onMemoryAdapters = (account: string, entries: ReadonlyArray<Record<string, string>>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const context = yield* Layer.build(
        PortfolioLive.layer.pipe(
          Layer.provide(PortfolioConfig.layer({ accountId: account, snapshotInterval: Duration.hours(1) })),
          Layer.provide(Adapters.layer(memory))
        )
      )
      const service = Context.get(context, PortfolioService)
      for (const entry of entries) {
        const result = yield* service.ingest(entry)
        expect(result.status).not.toBe("rejected")
      }
      return { snapshot: yield* service.snapshot, pnl: yield* service.pnl }
    })
  )

const positionsView = (ps: ReadonlyArray<any>) =>
  ps.map((p) => ({
    trade_id: p.trade_id,
    symbol: p.symbol,
    side: p.side,
    size: p.size,
    entry_price: p.entry_price,
    current_price: p.current_price,
    unrealized_pnl: p.unrealized_pnl,
    realized_pnl: p.realized_pnl
  })).sort((a, b) => (a.trade_id < b.trade_id ? -1 : a.trade_id > b.trade_id ? 1 : 0))

const stateView = (snapshot: any, pnl: any) => ({
  positions: positionsView(snapshot.positions),
  cash_balance: snapshot.cash_balance,
  total_equity: snapshot.total_equity,
  total_exposure: snapshot.total_exposure,
  pnl: Object.fromEntries(
    ["realized_pnl_total", "unrealized_pnl", "num_closed_trades", "num_winning_trades", "num_losing_trades", "gross_profit", "gross_loss", "best_trade_pnl", "worst_trade_pnl"]
      .map((k) => [k, pnl[k]])
  )
})

Postgres.describePostgres("three accounts on one Redis and one PostgreSQL schema", () => {
  it.scopedLive("each instance ends with exactly its account's state, as the service on memory adapters computes it from that account's events alone", () =>
    Effect.gen(function* () {
      const redis = yield* RedisServer.start()
      const schema = yield* Postgres.schema("accounts")
      const pipe = yield* Effect.acquireRelease(Effect.promise(() => Streams.Pipe.connect(redis.port)), (p) => Effect.sync(() => p.close()))

      // The three instances start together on the same new schema.
      const services = yield* Effect.forEach(ACCOUNTS, (account) =>
        ServerProcess.start({
          PORTFOLIO_REDIS_URL: redis.url,
          PORTFOLIO_REDIS_BLOCK_MS: "100",
          PORTFOLIO_TRADE_STORE_TYPE: "postgres",
          PORTFOLIO_POSTGRES_URL: Postgres.testUrl,
          PORTFOLIO_POSTGRES_SCHEMA: schema,
          PORTFOLIO_ACCOUNT_ID: account,
          PORTFOLIO_STREAM_PREFIX: prefixOf(account),
          PORTFOLIO_DEAD_LETTER_PREFIX: `quantum:${account}:dlq:`,
          PORTFOLIO_SNAPSHOT_INTERVAL: "3600",
          PORTFOLIO_HTTP_LOG_REQUESTS: "false"
        }), { concurrency: "unbounded" })

      // Interleaved producers: a1 b1 c1 a2 b2 c2 …, in pipelines of 300 entries; and entries on
      // the default streams, which are no account's here.
      const perAccount = ACCOUNTS.map((_, k) => eventsOf(k))
      const commands: Array<Array<string>> = []
      for (let i = 0; i < Math.max(...perAccount.map((es) => es.length)); i++) {
        ACCOUNTS.forEach((account, k) => {
          const e = perAccount[k]![i]
          if (e !== undefined) commands.push(xadd(prefixOf(account), e))
        })
      }
      const decoys = Streams.mixed(60, { prefix: "T" }).map((e) => xadd("quantum:stream:", e))
      commands.splice(commands.length / 2, 0, ...decoys)
      for (let from = 0; from < commands.length; from += 300) {
        const replies = yield* Effect.promise(() => pipe.send(commands.slice(from, from + 300)))
        expect(replies.filter((r) => r instanceof Error)).toEqual([])
      }

      yield* waitFor(
        Effect.promise(async () => (await Promise.all(ACCOUNTS.map((a) => consumed(pipe, a)))).every(Boolean)),
        (done) => done,
        "every account's entries to be consumed",
        "90 seconds"
      )

      for (const [k, account] of ACCOUNTS.entries()) {
        const url = services[k]!.url
        const entries = yield* Effect.promise(() => entriesInMergeOrder(pipe, account))
        expect(entries.length).toBe(perAccount[k]!.length)
        const expected = yield* onMemoryAdapters(account, entries)
        const snapshot = (yield* Http.get(url, "/api/portfolio/snapshot")).body
        const pnl = (yield* Http.get(url, "/api/portfolio/pnl")).body
        expect(stateView(snapshot, pnl), account).toEqual(stateView(expected.snapshot, expected.pnl))
        expect(expected.pnl.num_closed_trades).toBeGreaterThan(0)

        const health = (yield* Http.get(url, "/health")).body
        expect(health.status).toBe("ok")
        // /health names the store: which, where and whose (no secret in the URL to hide here).
        expect(health.components.store).toMatchObject({ status: "ok", details: { store: `postgres 127.0.0.1:5432/test schema=${schema} account=${account}` } })
        expect(health.events).toMatchObject({ rejected: {}, failed: {}, orphan_closes: 0, over_closes: 0, parked_closes: 0 })
        expect(health.components.bus.details).toMatchObject({ account, group_prefix: `quantum:group:portfolio_intelligence@${account}:`, stream_prefix: prefixOf(account) })

        // What it published is on its own streams, under its own name.
        const published = (yield* Effect.promise(() => pipe.command("XRANGE", `${prefixOf(account)}portfolio.snapshot_updated`, "-", "+"))) as ReadonlyArray<readonly [string, ReadonlyArray<string>]>
        expect(published.length).toBeGreaterThan(0)
        for (const [, flat] of published) expect(flat[flat.indexOf("source") + 1]).toBe(`portfolio_intelligence@${account}`)
      }

      // Its rows are its own: per account, as many open trades and closes as its own state has.
      const rows = (table: string) =>
        Effect.promise(() => Postgres.psql(Postgres.testUrl, `select account_id || '=' || count(*) from "${schema}".${table} group by account_id order by account_id`))
      const lines = (text: string) => text.split("\n").filter((line) => line !== "")
      const open = lines(yield* rows("open_trades"))
      const closes = lines(yield* rows("closed_trades"))
      const wanted = { open: [] as Array<string>, closes: [] as Array<string> }
      for (const [k, account] of ACCOUNTS.entries()) {
        const snapshot = (yield* Http.get(services[k]!.url, "/api/portfolio/snapshot")).body
        if (snapshot.positions.length > 0) wanted.open.push(`${account}=${snapshot.positions.length}`)
        wanted.closes.push(`${account}=${perAccount[k]!.filter((e) => e.type === "trade.closed").length}`)
      }
      expect(open).toEqual(["acct-a=2", "acct-b=1"])
      expect(open).toEqual(wanted.open)
      expect(closes).toEqual(wanted.closes)

      // Nobody read the default streams, nor published there.
      for (const type of TYPES) {
        expect(yield* Effect.promise(() => pipe.command("XINFO", "GROUPS", `quantum:stream:${type}`))).toEqual([])
      }
      expect(yield* Effect.promise(() => pipe.command("EXISTS", "quantum:stream:portfolio.snapshot_updated"))).toBe(0)
    }), 240_000)
})
