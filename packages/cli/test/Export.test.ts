/**
 * Exports: the HTTP routes of a real listening server on an SQLite file, and `portfolio
 * export` on the same file, give the same bytes; CSV (RFC 4180, parsed by an independent
 * parser) holds the same rows as JSON and NDJSON; `from`/`to` select by time; bad names and
 * parameters are refused naming them.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HttpServer from "@effect/platform/HttpServer"
import { PortfolioConfig, PortfolioLive } from "@portfolio/core"
import { Adapters, HttpConfig, Server } from "@portfolio/http"
import { Export, Tearsheet } from "@portfolio/report"
import { Effect, Layer } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { cli, envelope, inspectPdf, parseCsv, session, T0, HOUR, tempDir } from "./support/Session.js"

const dir = tempDir()
const db = join(dir, "portfolio.db")
const choice: Adapters.Choice = { store: { kind: "sqlite", options: { path: db } }, bus: { kind: "memory" }, exchange: { kind: "paper", initialCash: 10_000 } }
const ServerLive = Server.layer(HttpConfig.make({ logRequests: false, port: 0, host: "127.0.0.1" })).pipe(
  Layer.provide(PortfolioLive.layer),
  Layer.provide(PortfolioConfig.layer()),
  Layer.provide(Adapters.layer(choice))
)
const base = Effect.map(HttpServer.HttpServer, (s) => (s.address._tag === "TcpAddress" ? `http://127.0.0.1:${s.address.port}` : ""))

// A trade whose id needs quoting in CSV: a comma and quotes.
const awkward = [
  envelope("trade.opened", T0 - HOUR, { trade_id: 'odd,"one"', symbol: "BTCUSDT", side: "LONG", entry_price: 79_000, quantity: 0.01, leverage: 2 }),
  envelope("trade.closed", T0 - HOUR + 60_000, { trade_id: 'odd,"one"', exit_price: 79_500, quantity: 0.01 })
]
const events = [...awkward, ...session(2, 3)]

const get = (url: string) => Effect.promise(async () => {
  const r = await fetch(url)
  return { status: r.status, type: r.headers.get("content-type"), text: await r.text() }
})

describe("exports", () => {
  it.scopedLive("HTTP and CLI give the same files; CSV, JSON and NDJSON hold the same rows; from/to select", () =>
    Effect.gen(function* () {
      const url = yield* base
      const posted = yield* Effect.promise(() =>
        fetch(`${url}/api/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) }).then((r) => r.json())
      )
      expect((posted as any).counts?.applied ?? (posted as any).applied, JSON.stringify(posted).slice(0, 300)).toBe(events.length)
      // The service keeps sampling equity on its clock: every read stops at a time already past.
      yield* Effect.sleep("1500 millis")
      const cut = Date.now() - 1_000
      for (const dataset of Export.datasets) {
        const csv = yield* get(`${url}/api/portfolio/export/${dataset}.csv?to=${cut}`)
        const json = yield* get(`${url}/api/portfolio/export/${dataset}.json?to=${cut}`)
        const ndjson = yield* get(`${url}/api/portfolio/export/${dataset}.ndjson?to=${cut}`)
        expect([csv.status, json.status, ndjson.status]).toEqual([200, 200, 200])
        expect(csv.type).toContain("text/csv")
        expect(ndjson.type).toContain("application/x-ndjson")
        const rows = JSON.parse(json.text) as Array<Record<string, unknown>>
        expect(rows.length, dataset).toBeGreaterThan(dataset === "fills" ? -1 : 0)
        expect(ndjson.text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))).toEqual(rows)
        const table = parseCsv(csv.text)
        expect(table[0]).toEqual(Export.columns[dataset])
        expect(table.slice(1)).toEqual(rows.map((r) => Export.columns[dataset].map((k) => (r[k] === null ? "" : String(r[k])))))
        // The CLI on the same database file writes the same bytes.
        const fromCli = yield* Effect.promise(() => cli(["export", dataset, "--db", db, "--to", String(cut)]))
        expect(fromCli.stderr).toBe("")
        expect(fromCli.stdout).toBe(csv.text)
      }
      const closes = JSON.parse((yield* get(`${url}/api/portfolio/export/closes.json`)).text) as Array<{ closed_at: number; trade_id: string }>
      expect(closes.some((c) => c.trade_id === 'odd,"one"')).toBe(true)
      const from = T0 + 6 * HOUR
      const to = T0 + 30 * HOUR
      const windowed = JSON.parse((yield* get(`${url}/api/portfolio/export/closes.json?from=${new Date(from).toISOString()}&to=${to}`)).text)
      expect(windowed).toEqual(closes.filter((c) => c.closed_at >= from && c.closed_at < to))
      expect(windowed.length).toBeGreaterThan(0)
      const trades = JSON.parse((yield* get(`${url}/api/portfolio/export/trades.json`)).text) as Array<{ pnl: number }>
      const pnl = yield* Effect.promise(() => fetch(`${url}/api/portfolio/pnl`).then((r) => r.json()))
      expect(trades.length).toBe((pnl as { num_closed_trades: number }).num_closed_trades)

      // The report of the same store: its headline figures are those of the exported rows.
      const samples = JSON.parse((yield* get(`${url}/api/portfolio/export/equity.json`)).text) as Array<{ equity: number }>
      const realized = (closes as unknown as Array<{ realized_pnl: number }>).reduce((a, c) => a + c.realized_pnl, 0)
      const pdfAnswer = yield* Effect.promise(async () => {
        const r = await fetch(`${url}/api/portfolio/report.pdf?title=Exported`)
        return { status: r.status, type: r.headers.get("content-type"), bytes: new Uint8Array(await r.arrayBuffer()) }
      })
      expect(pdfAnswer.status).toBe(200)
      expect(pdfAnswer.type).toBe("application/pdf")
      const pdf = join(dir, "served.pdf")
      writeFileSync(pdf, pdfAnswer.bytes)
      const served = inspectPdf(pdf, tempDir())
      expect(served.pages).toBe(2)
      expect(served.rendered).toBe(2)
      for (const figure of ["Exported", Tearsheet.money(samples.at(-1)!.equity), Tearsheet.money(realized), String(trades.length)]) expect(served.text).toContain(figure)
      const page = yield* get(`${url}/api/portfolio/report.html?time_zone=Asia/Tokyo`)
      expect(page.status).toBe(200)
      expect(page.type).toContain("text/html")
      expect(page.text).toContain('aria-label="Equity curve"')
      expect(page.text).toContain("Asia/Tokyo")
      expect((yield* get(`${url}/api/portfolio/report.html?time_zone=Mars/Base`)).status).toBe(400)

      const bad = yield* get(`${url}/api/portfolio/export/closes.xml`)
      expect(bad.status).toBe(400)
      expect(bad.text).toContain("file")
      const badFrom = yield* get(`${url}/api/portfolio/export/closes.csv?from=yesterday`)
      expect(badFrom.status).toBe(400)
      expect(badFrom.text).toContain("from")
      const cliBad = yield* Effect.promise(() => cli(["export", "closes", "--db", join(dir, "missing.db")]))
      expect(cliBad.code).toBe(1)
      expect(cliBad.stderr).toContain("--db")
    }).pipe(Effect.provide(ServerLive)), 120_000)
})
