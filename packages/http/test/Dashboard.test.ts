/**
 * The dashboard end to end: built by its own build (`packages/dashboard/build.mjs`) into a
 * temporary directory, served by the real server in this process (memory adapters), opened in
 * headless Chromium — Debian's `chromium` found on the PATH, driven by `playwright-core` with
 * `executablePath` (no browser is downloaded). A seeded session's positions and figures show;
 * an event posted to the service shows on the page within one second, through the push stream
 * (the page never polls); the page loads with no console error, in dark and light, and fits a
 * phone's width. Screenshots are written to `packages/http/test-artifacts/` (paths printed).
 * With an API key the page asks for it once, keeps it, and follows the stream with it. Also: the
 * caching headers (page no-cache, hashed assets immutable), 404 for an unknown asset, 503 when
 * the dashboard is not built.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Browser, chromium } from "playwright-core"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"

const here = new URL(".", import.meta.url).pathname
const artifacts = join(here, "../test-artifacts")
const built = mkdtempSync(join(tmpdir(), "dashboard-"))
execFileSync(process.execPath, [join(here, "../../dashboard/build.mjs"), built], { stdio: "pipe" })

const chromiumPath = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim()
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]

const launch = Effect.acquireRelease(
  Effect.promise(() => chromium.launch({ executablePath: chromiumPath, args: FLAGS })),
  (browser: Browser) => Effect.promise(() => browser.close())
)

const open = (id: string, symbol: string, side: string, entry: number, quantity: number) => ({
  event_type: "trade.opened",
  payload: { trade_id: id, symbol, side, entry_price: entry, quantity, leverage: 3 }
})
const tick = (symbol: string, price: number) => ({ event_type: "market.tick", payload: { symbol, price } })

describe("dashboard", () => {
  it.scopedLive("shows a seeded session, and a posted event within a second, with no console error; dark and light; phone width", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      yield* Http.post(url, "/api/events", [
        open("d-1", "BTCUSDT", "LONG", 40_000, 0.5),
        open("d-2", "ETHUSDT", "SHORT", 2_000, 4),
        tick("BTCUSDT", 41_000),
        tick("ETHUSDT", 1_950),
        open("d-3", "SOLUSDT", "LONG", 100, 50),
        { event_type: "trade.closed", payload: { trade_id: "d-3", exit_price: 104 } }
      ])
      const browser = yield* launch
      mkdirSync(artifacts, { recursive: true })
      const posted: Array<string> = []
      for (const scheme of ["dark", "light"] as const) {
        const page = yield* Effect.promise(() => browser.newPage({ colorScheme: scheme, viewport: { width: 1280, height: 1100 } }))
        const errors: Array<string> = []
        page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())))
        page.on("pageerror", (e) => void errors.push(String(e)))
        const requests: Array<string> = []
        page.on("request", (r) => void requests.push(r.url()))

        yield* Effect.promise(() => page.goto(`${url}/`))
        yield* Effect.promise(() => page.waitForSelector('#positions tr[data-trade-id="d-2"]', { timeout: 10_000 }))
        yield* Effect.promise(() => page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 }))
        const rows = yield* Effect.promise(() => page.$$eval("#positions tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-trade-id"))))
        expect(rows.sort()).toEqual(["d-1", "d-2", ...posted])
        // cash 10 000 + 200 realized; uPnL (41 000 − 40 000) × 0.5 + (2 000 − 1 950) × 4 = 700 (XRP has no tick: at entry).
        expect(yield* Effect.promise(() => page.textContent("#t-equity"))).toBe("10,900.00")
        expect(yield* Effect.promise(() => page.textContent("#t-unrealized"))).toBe("+700.00")
        expect(yield* Effect.promise(() => page.textContent("#t-today"))).toBe("+200.00")

        // An event posted now shows within a second, pushed (no request after the stream opened but the post's own).
        const before = requests.length
        const sent = performance.now()
        yield* Http.post(url, "/api/events", open(`live-${scheme}`, "XRPUSDT", "LONG", 0.5, 1000))
        yield* Effect.promise(() => page.waitForSelector(`#positions tr[data-trade-id="live-${scheme}"]`, { timeout: 1_000 }))
        const shown = performance.now() - sent
        posted.push(`live-${scheme}`)
        expect(shown).toBeLessThan(1_000)
        expect(requests.slice(before)).toEqual([])
        expect(yield* Effect.promise(() => page.textContent("#exposure-symbol"))).toContain("XRPUSDT")

        // Sorting by a column reorders the rows.
        yield* Effect.promise(() => page.click('#positions th[data-key="symbol"]'))
        const sorted = yield* Effect.promise(() => page.$$eval("#positions tbody tr td:first-child", (tds) => tds.map((td) => td.textContent)))
        expect(sorted).toEqual([...sorted].sort())

        const shot = join(artifacts, `dashboard-${scheme}.png`)
        yield* Effect.promise(() => page.screenshot({ path: shot, fullPage: true }))
        console.log(`dashboard screenshot (${scheme}): ${shot}; event shown ${shown.toFixed(0)} ms after the post`)
        expect(errors).toEqual([])
        // Every request stayed on this origin (no CDN, no download).
        expect(requests.every((r) => r.startsWith(url))).toBe(true)
        yield* Effect.promise(() => page.close())
      }

      const phone = yield* Effect.promise(() => browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 }))
      yield* Effect.promise(() => phone.goto(`${url}/`))
      yield* Effect.promise(() => phone.waitForSelector('#positions tr[data-trade-id="d-1"]', { timeout: 10_000 }))
      const overflow = yield* Effect.promise(() => phone.evaluate(() => {
        // Runs in the page (this package is typed without the DOM's names).
        const page = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number }
        return page.document.documentElement.scrollWidth - page.innerWidth
      }))
      expect(overflow).toBeLessThanOrEqual(0)
      const shot = join(artifacts, "dashboard-phone.png")
      yield* Effect.promise(() => phone.screenshot({ path: shot, fullPage: true }))
      console.log(`dashboard screenshot (phone): ${shot}`)
    }).pipe(Effect.provide(layer({ dashboardDir: built }))), 90_000)

  it.scopedLive("with an API key: the page asks for it, keeps it, and follows the stream with it", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      yield* Http.post(url, "/api/events", open("k-1", "BTCUSDT", "LONG", 40_000, 0.1), { "content-type": "application/json", "x-api-key": "s3cret" })
      const browser = yield* launch
      const page = yield* Effect.promise(() => browser.newPage())
      yield* Effect.promise(() => page.goto(`${url}/`))
      // The page itself needs no key; its data does: it asks.
      yield* Effect.promise(() => page.waitForSelector("#key-form:not([hidden])", { timeout: 10_000 }))
      yield* Effect.promise(() => page.fill("#key-input", "s3cret"))
      yield* Effect.promise(() => page.click('#key-form button[type="submit"]'))
      yield* Effect.promise(() => page.waitForSelector('#positions tr[data-trade-id="k-1"]', { timeout: 10_000 }))
      yield* Effect.promise(() => page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 }))
      yield* Http.post(url, "/api/events", open("k-2", "ETHUSDT", "LONG", 2_000, 1), { "content-type": "application/json", "x-api-key": "s3cret" })
      yield* Effect.promise(() => page.waitForSelector('#positions tr[data-trade-id="k-2"]', { timeout: 1_000 }))
      // Kept: a reload needs no typing.
      yield* Effect.promise(() => page.reload())
      yield* Effect.promise(() => page.waitForSelector('#positions tr[data-trade-id="k-2"]', { timeout: 10_000 }))
      expect(yield* Effect.promise(() => page.isHidden("#key-form"))).toBe(true)
    }).pipe(Effect.provide(layer({ dashboardDir: built, apiKey: Option.some(Redacted.make("s3cret")) }))), 60_000)

  it.scopedLive("serves the page no-cache and hashed assets immutable; 404 for an unknown asset; 503 when not built", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const page = yield* Http.get(url, "/")
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")
      expect(page.headers.get("cache-control")).toBe("no-cache")
      expect(page.headers.get("content-security-policy")).toContain("default-src 'self'")
      const assets = readdirSync(join(built, "assets")).filter((n) => !n.endsWith(".map"))
      expect(assets.length).toBe(2)
      for (const name of assets) {
        expect(page.text).toContain(`/assets/${name}`)
        const asset = yield* Http.get(url, `/assets/${name}`)
        expect(asset.status).toBe(200)
        expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
        expect(asset.headers.get("content-type")).toMatch(name.endsWith(".js") ? /^text\/javascript/ : /^text\/css/)
      }
      expect((yield* Http.get(url, "/assets/main-NOPE.js")).status).toBe(404)
      expect((yield* Http.get(url, "/assets/..%2Fpackage.json")).status).toBe(404)
      expect((yield* Http.post(url, "/", "{}")).status).toBe(405)
    }).pipe(Effect.provide(layer({ dashboardDir: built }))))

  it.scopedLive("answers 503 dashboard_not_built at / when there is no build", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const page = yield* Http.get(url, "/")
      expect(page.status).toBe(503)
      expect(page.body.error).toBe("dashboard_not_built")
      expect(page.body.message).toContain("pnpm build")
    }).pipe(Effect.provide(layer({ dashboardDir: join(built, "nowhere") }))))
})
