/**
 * Live push over a real listening server in this process (memory adapters, in-process bus):
 * a posted event reaches a connected SSE and WebSocket client; `types=` filters; a reconnect
 * with `Last-Event-ID` gets exactly what it missed; the API key is required (header or
 * `?token=`) on both; 1 000 concurrent SSE clients all receive one update; a client that never
 * reads (SSE or WebSocket) holds at most the mailbox's bound, the rest coalesced; heartbeats
 * (and a WebSocket that stops answering pings is closed); both routes write the request log
 * line without the query.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { describe, expect, it } from "@effect/vitest"
import { PortfolioConfig, PortfolioLive, PortfolioService } from "@portfolio/core"
import { Duration, Effect, Layer, LogLevel, Option, Redacted } from "effect"
import { connect as tcpConnect } from "node:net"
import { WebSocket } from "ws"
import * as Adapters from "../src/Adapters.js"
import * as HttpConfig from "../src/HttpConfig.js"
import * as Logging from "../src/Logging.js"
import * as Push from "../src/Push.js"
import * as Server from "../src/Server.js"
import * as Http from "./support/Http.js"
import * as Clients from "./support/Push.js"
import { waitFor } from "./support/WaitFor.js"

const memory: Adapters.Choice = { store: { kind: "memory" }, bus: { kind: "memory" }, exchange: { kind: "paper", initialCash: 10_000 } }

/** The server on memory adapters, with the service and the hub in context for the test; request log lines go to `log`. */
const serverLayer = (settings: Partial<HttpConfig.HttpSettings> = {}, log?: Array<string>) =>
  Server.layer(HttpConfig.make({ logRequests: log !== undefined, ...settings, port: 0, host: "127.0.0.1" })).pipe(
    Layer.provide(Logging.requestLog({ level: LogLevel.Info, format: "logfmt" }, (text) => void log?.push(text))),
    Layer.provideMerge(PortfolioLive.layer),
    Layer.provide(PortfolioConfig.layer()),
    Layer.provide(Adapters.layer(memory))
  )

const log: Array<string> = []

const port = Effect.map(HttpServer.HttpServer, (s) => (s.address._tag === "TcpAddress" ? s.address.port : 0))
const base = Effect.map(port, (p) => `http://127.0.0.1:${p}`)

const open = (id: string, symbol = "BTCUSDT") => ({ trade_id: id, symbol, side: "LONG", entry_price: 40_000, quantity: 0.5, leverage: 2 })
const openTrade = (url: string, id: string, symbol?: string) =>
  Effect.flatMap(Http.sendEvent(url, "trade.opened", open(id, symbol)), (a) => (a.status === 202 ? Effect.void : Effect.fail(new Error(`open ${id}: ${a.status} ${a.text}`))))

const hasTrade = (id: string) => (events: ReadonlyArray<Clients.Received>) =>
  events.some((e) => e.type === "portfolio.snapshot_updated" && e.payload.positions.some((p: { trade_id: string }) => p.trade_id === id))

const seq = (id: string) => Number(id.slice(id.lastIndexOf("-") + 1))

describe("Push", () => {
  it.scopedLive("a posted event reaches a connected SSE client as a snapshot with the new position", () =>
    Effect.gen(function* () {
      const p = yield* port
      const client = yield* Clients.sse(p, "/api/portfolio/stream?types=snapshot")
      expect(client.status).toBe(200)
      expect(client.headers["content-type"]).toContain("text/event-stream")
      expect(client.headers["cache-control"]).toContain("no-cache")
      yield* waitFor(Effect.sync(() => client.comments), (c) => c.includes("connected"), "the stream's opening")
      const sent = performance.now()
      yield* openTrade(`http://127.0.0.1:${p}`, "sse-1")
      const events = yield* waitFor(Effect.sync(() => client.events), hasTrade("sse-1"), "the snapshot with sse-1", "5 seconds")
      const arrived = events.find((e) => hasTrade("sse-1")([e]))!
      expect(arrived.payload.positions[0]).toMatchObject({ trade_id: "sse-1", symbol: "BTCUSDT", size: 0.5 })
      expect(arrived.id).toMatch(/^[0-9a-z]+-[0-9]+$/)
      // Only the asked type came.
      expect(new Set(client.events.map((e) => e.type))).toEqual(new Set(["portfolio.snapshot_updated"]))
      yield* Effect.logDebug(`sse: ${(arrived.at - sent).toFixed(1)} ms from post to arrival`)
    }).pipe(Effect.provide(serverLayer())))

  it.scopedLive("a client first gets the current snapshot, even before the service published one since the hub listened", () =>
    Effect.gen(function* () {
      const p = yield* port
      const hub = yield* Push.PushHub
      const client = yield* Clients.sse(p, "/api/portfolio/stream?types=snapshot")
      const first = yield* waitFor(Effect.sync(() => client.events), (es) => es.length >= 1, "the first snapshot", "3 seconds")
      expect(first[0]).toMatchObject({ type: "portfolio.snapshot_updated", payload: { total_equity: 10_000, cash_balance: 10_000, positions: [] } })
      expect(seq(first[0]!.id)).toBeLessThanOrEqual(hub.stats().published)
    }).pipe(Effect.provide(serverLayer())))

  it.scopedLive("a posted close reaches a WebSocket client as pnl_updated; types= filters; GET without upgrade is 426", () =>
    Effect.gen(function* () {
      const p = yield* port
      const url = `http://127.0.0.1:${p}`
      const all = yield* Clients.ws(p, "/ws")
      const pnlOnly = yield* Clients.ws(p, "/ws?types=portfolio.pnl_updated")
      expect(all.status).toBe(101)
      yield* openTrade(url, "ws-1")
      yield* waitFor(Effect.sync(() => all.events), hasTrade("ws-1"), "the snapshot with ws-1 over WebSocket", "5 seconds")
      yield* Http.sendEvent(url, "trade.closed", { trade_id: "ws-1", exit_price: 41_000 })
      const pnl = yield* waitFor(Effect.sync(() => pnlOnly.events), (es) => es.some((e) => e.type === "portfolio.pnl_updated"), "pnl_updated", "5 seconds")
      expect(pnl.find((e) => e.type === "portfolio.pnl_updated")!.payload).toMatchObject({ trade_id: "ws-1", trade_realized_pnl: 500, realized_pnl_total: 500 })
      expect(pnlOnly.events.every((e) => e.type === "portfolio.pnl_updated")).toBe(true)
      yield* waitFor(Effect.sync(() => all.events), (es) => es.some((e) => e.type === "portfolio.pnl_updated"), "pnl_updated to the unfiltered client")

      const plain = yield* Http.get(url, "/ws")
      expect(plain.status).toBe(426)
      expect(plain.body.error).toBe("upgrade_required")
      const bad = yield* Http.get(url, "/api/portfolio/stream?types=snapshot,bogus")
      expect(bad.status).toBe(400)
      expect(bad.body.message).toContain("bogus")
      const badWs = yield* Clients.ws(p, "/ws?types=bogus")
      expect(badWs.status).toBe(400)
    }).pipe(Effect.provide(serverLayer())))

  it.scopedLive("a reconnect with Last-Event-ID gets every event it missed, in order, and nothing twice", () =>
    Effect.gen(function* () {
      const p = yield* port
      const url = `http://127.0.0.1:${p}`
      const first = yield* Clients.sse(p, "/api/portfolio/stream")
      yield* openTrade(url, "r-1")
      yield* waitFor(Effect.sync(() => first.events), hasTrade("r-1"), "r-1 seen")
      const lastSeen = first.events[first.events.length - 1]!.id
      first.close()

      yield* openTrade(url, "r-2", "ETHUSDT")
      yield* Http.sendEvent(url, "trade.closed", { trade_id: "r-2", exit_price: 40_100 })
      yield* openTrade(url, "r-3", "SOLUSDT")
      const hub = yield* Push.PushHub
      yield* waitFor(Effect.sync(() => hub.stats().published), (n) => n >= seq(lastSeen) + 2, "events published while away")

      const again = yield* Clients.sse(p, "/api/portfolio/stream", { "last-event-id": lastSeen })
      yield* waitFor(Effect.sync(() => again.events), hasTrade("r-3"), "r-3 after the resume")
      const seqs = again.events.map((e) => seq(e.id))
      // Every event after the last seen, consecutive: none missed, none repeated.
      expect(seqs[0]).toBe(seq(lastSeen) + 1)
      expect(seqs).toEqual(seqs.map((_, i) => seq(lastSeen) + 1 + i))
      expect(again.events.some((e) => e.type === "portfolio.pnl_updated" && e.payload.trade_id === "r-2")).toBe(true)

      // The WebSocket resumes the same way, with last_event_id on its URL.
      const ws = yield* Clients.ws(p, `/ws?last_event_id=${encodeURIComponent(lastSeen)}`)
      yield* waitFor(Effect.sync(() => ws.events), hasTrade("r-3"), "r-3 after the WebSocket resume")
      expect(ws.events.map((e) => seq(e.id)).slice(0, seqs.length)).toEqual(seqs)

      // An id the ring does not know (another run's) gets the latest of each type instead.
      const stranger = yield* Clients.sse(p, "/api/portfolio/stream?types=snapshot", { "last-event-id": "zzz-5" })
      const latest = yield* waitFor(Effect.sync(() => stranger.events), (es) => es.length >= 1, "the latest snapshot")
      expect(latest[0]!.type).toBe("portfolio.snapshot_updated")
    }).pipe(Effect.provide(serverLayer())))

  it.scopedLive("the API key is required on both routes: header, bearer or ?token=; a wrong one is 401", () =>
    Effect.gen(function* () {
      const p = yield* port
      const none = yield* Clients.sse(p, "/api/portfolio/stream")
      expect(none.status).toBe(401)
      const wrong = yield* Clients.sse(p, "/api/portfolio/stream?token=nope")
      expect(wrong.status).toBe(401)
      expect(yield* Effect.sync(() => none.refusal)).toMatchObject({ error: "unauthorized" })
      expect((yield* Clients.sse(p, "/api/portfolio/stream?token=s3cret")).status).toBe(200)
      expect((yield* Clients.sse(p, "/api/portfolio/stream", { "x-api-key": "s3cret" })).status).toBe(200)
      expect((yield* Clients.sse(p, "/api/portfolio/stream", { authorization: "Bearer s3cret" })).status).toBe(200)
      expect((yield* Clients.sse(p, "/api/portfolio/stream", { authorization: "Digest s3cret" })).status).toBe(401)

      const refused = yield* Clients.ws(p, "/ws")
      expect(refused.status).toBe(401)
      expect(refused.refusal).toMatchObject({ error: "unauthorized" })
      expect((yield* Clients.ws(p, "/ws?token=wrong")).status).toBe(401)
      expect((yield* Clients.ws(p, "/ws?token=s3cret")).status).toBe(101)
      expect((yield* Clients.ws(p, "/ws", { "x-api-key": "s3cret" })).status).toBe(101)
    }).pipe(Effect.provide(serverLayer({ apiKey: Option.some(Redacted.make("s3cret")) }))))

  it.scopedLive("1 000 concurrent SSE clients all receive one update", () =>
    Effect.gen(function* () {
      const p = yield* port
      const hub = yield* Push.PushHub
      const clients = yield* Effect.forEach(Array.from({ length: 1000 }), () => Clients.sse(p, "/api/portfolio/stream?types=snapshot"), { concurrency: 50 })
      expect(clients.every((c) => c.status === 200)).toBe(true)
      yield* waitFor(Effect.sync(() => hub.stats().clients), (n) => n === 1000, "1 000 clients connected")
      yield* openTrade(`http://127.0.0.1:${p}`, "fan-1")
      yield* waitFor(Effect.sync(() => clients.filter((c) => hasTrade("fan-1")(c.events)).length), (n) => n === 1000, "every client has fan-1", "30 seconds")
    }).pipe(Effect.provide(serverLayer())), 60_000)

  it.scopedLive("a client that never reads holds at most the mailbox's bound; what it cannot take is coalesced per type", () =>
    Effect.gen(function* () {
      const p = yield* port
      const hub = yield* Push.PushHub
      const service = yield* PortfolioService
      const url = yield* base
      // Big snapshots (200 positions, ~90 KB each) so the socket's buffers fill quickly.
      yield* Http.post(url, "/api/events", Array.from({ length: 200 }, (_, i) => ({ event_type: "trade.opened", payload: open(`big-${i}`, `SYM${i}USDT`) })))
      // A raw connection that sends its request and never reads a byte.
      const socket = tcpConnect({ host: "127.0.0.1", port: p })
      yield* Effect.addFinalizer(() => Effect.sync(() => socket.destroy()))
      socket.write("GET /api/portfolio/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
      socket.pause()
      yield* waitFor(Effect.sync(() => hub.stats().clients), (n) => n === 1, "the silent client connected")
      const silent = hub.mailboxes()[0]!
      for (let i = 0; i < 400; i++) yield* service.publishSnapshot
      yield* waitFor(Effect.sync(() => silent.coalesced), (n) => n > 0, "coalescing once the socket is full")
      expect(silent.highWater).toBeLessThanOrEqual(Push.defaults.mailboxBound)
      expect(silent.size).toBeLessThanOrEqual(Push.defaults.mailboxBound)
      // 800 events (a snapshot and an exposure each time) were published; the client holds few.
      expect(hub.stats().published).toBeGreaterThanOrEqual(800)
      expect(silent.coalesced).toBeGreaterThan(400)
    }).pipe(Effect.provide(serverLayer())), 60_000)

  it.scopedLive("a WebSocket client that never reads holds at most the mailbox's bound too", () =>
    Effect.gen(function* () {
      const p = yield* port
      const hub = yield* Push.PushHub
      const service = yield* PortfolioService
      yield* Http.post(yield* base, "/api/events", Array.from({ length: 200 }, (_, i) => ({ event_type: "trade.opened", payload: open(`wbig-${i}`, `SYM${i}USDT`) })))
      const client = yield* Clients.ws(p, "/ws")
      // Stop reading the socket: the server's sends pile up until the kernel's buffers are full.
      ;(client.socket as unknown as { _socket: { pause: () => void } })._socket.pause()
      yield* waitFor(Effect.sync(() => hub.stats().clients), (n) => n === 1, "the client connected")
      const silent = hub.mailboxes()[0]!
      for (let i = 0; i < 400; i++) yield* service.publishSnapshot
      yield* waitFor(Effect.sync(() => silent.coalesced), (n) => n > 0, "coalescing once the socket is full")
      expect(silent.highWater).toBeLessThanOrEqual(Push.defaults.mailboxBound)
      expect(silent.coalesced).toBeGreaterThan(400)
    }).pipe(Effect.provide(serverLayer())), 60_000)

  it.scopedLive("heartbeats: SSE comments in silence, WebSocket pings every heartbeat; a WebSocket that never answers a ping is closed", () =>
    Effect.gen(function* () {
      const p = yield* port
      const sse = yield* Clients.sse(p, "/api/portfolio/stream?types=drawdown")
      const pings: Array<number> = []
      const answering = yield* Clients.ws(p, "/ws?types=drawdown")
      answering.socket.on("ping", () => void pings.push(performance.now()))
      const silent = yield* Effect.async<WebSocket>((resume) => {
        const ws = new WebSocket(`ws://127.0.0.1:${p}/ws?types=drawdown`, { autoPong: false })
        ws.once("open", () => resume(Effect.succeed(ws)))
      })
      let closedAt = 0
      silent.once("close", () => (closedAt = performance.now()))
      const opened = performance.now()
      yield* waitFor(Effect.sync(() => sse.comments.filter((c) => c === "heartbeat").length), (n) => n >= 3, "three SSE heartbeats", "5 seconds")
      yield* waitFor(Effect.sync(() => pings.length), (n) => n >= 3, "three pings", "5 seconds")
      yield* waitFor(Effect.sync(() => closedAt), (t) => t > 0, "the silent WebSocket closed", "5 seconds")
      // Closed at the second ping's time (the first went unanswered), not before.
      expect(closedAt - opened).toBeGreaterThanOrEqual(150)
      expect(answering.socket.readyState).toBe(WebSocket.OPEN)
    }).pipe(Effect.provide(serverLayer({ pushHeartbeat: Duration.millis(100) }))))

  it.scopedLive("a browser page of another origin cannot open the WebSocket; the service's own and PORTFOLIO_CORS_ORIGINS' can", () =>
    Effect.gen(function* () {
      const p = yield* port
      expect((yield* Clients.ws(p, "/ws", { origin: "https://evil.example" })).status).toBe(403)
      expect((yield* Clients.ws(p, "/ws", { origin: "https://evil.example" })).refusal).toMatchObject({ error: "forbidden" })
      expect((yield* Clients.ws(p, "/ws", { origin: `http://127.0.0.1:${p}` })).status).toBe(101)
      expect((yield* Clients.ws(p, "/ws", { origin: "https://dash.example.com" })).status).toBe(101)
      expect((yield* Clients.ws(p, "/ws")).status).toBe(101) // no Origin: not a browser
    }).pipe(Effect.provide(serverLayer({ corsOrigins: ["https://dash.example.com"] }))))

  it.scopedLive("both routes write the request log line, without the query (where the token travels)", () =>
    Effect.gen(function* () {
      const p = yield* port
      const sse = yield* Clients.sse(p, "/api/portfolio/stream?types=snapshot&token=k")
      const ws = yield* Clients.ws(p, "/ws?token=k")
      const refused = yield* Clients.ws(p, "/ws?token=wrong")
      expect([sse.status, ws.status, refused.status]).toEqual([200, 101, 401])
      const lines = yield* waitFor(Effect.sync(() => log.join("")), (t) => (t.match(/path=\/ws /g) ?? []).length >= 2 && t.includes("path=/api/portfolio/stream "), "the log lines")
      expect(lines).toMatch(/message=http method=GET path=\/api\/portfolio\/stream status=200 /)
      expect(lines).toMatch(/message=http method=GET path=\/ws status=101 /)
      expect(lines).toMatch(/message=http method=GET path=\/ws status=401 /)
      expect(lines).not.toContain("token")
    }).pipe(Effect.provide(serverLayer({ apiKey: Option.some(Redacted.make("k")) }, log))))
})
