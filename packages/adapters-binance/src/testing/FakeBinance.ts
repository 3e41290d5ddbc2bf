/**
 * A fake Binance USDⓈ-M futures exchange on 127.0.0.1 (a free port): HTTP and WebSocket on one
 * port, serving the documented shapes of server time, balance V3, account V3, position
 * information V3, symbol configuration, premium index, and the combined mark-price stream with
 * `SUBSCRIBE`/`UNSUBSCRIBE`. It checks API key, signature and timestamp window like the
 * exchange and answers Binance's error JSON. Tests steer it: balances, positions, prices,
 * pushes, injected errors, rate limits (429/418 with `Retry-After`, or a 418 stating only its ban
 * time), an outage (unreachable), dropped or silent sockets, refused connections; and observe
 * it: every REST request and WebSocket connection.
 *
 * @example
 * const fake = await FakeBinance.start()
 * fake.setBalances([{ asset: "USDT", balance: 10_000 }])
 * // PORTFOLIO_BINANCE_REST_URL=fake.restUrl PORTFOLIO_BINANCE_WS_URL=fake.wsUrl
 * // PORTFOLIO_BINANCE_API_KEY=fake.apiKey PORTFOLIO_BINANCE_API_SECRET=fake.apiSecret
 * await fake.close()
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"
import { WebSocketServer } from "ws"
import * as FakeRest from "./internal/fakeRest.js"
import type { FakeBalance, FakeConnection, FakeError, FakePosition, RecordedRequest, State } from "./internal/fakeState.js"
import { serverTime } from "./internal/fakeState.js"
import * as FakeStream from "./internal/fakeStream.js"

export type { FakeBalance, FakeConnection, FakeError, FakePosition, RecordedRequest }

/** How the fake starts. */
export interface Options {
  /** Default: 64 random hex characters. */
  readonly apiKey?: string
  /** Default: 64 random hex characters. */
  readonly apiSecret?: string
  /** The fake's clock runs this far ahead of local time (negative: behind). Default 0. */
  readonly serverTimeOffsetMs?: number
  /** Server ping period. Default 3 minutes, as Binance. */
  readonly pingIntervalMs?: number
  /** Connections are closed at this age. Default 24 hours, as Binance. */
  readonly maxConnectionAgeMs?: number
  /** When > 0, every subscribed mark-price stream is pushed its symbol's price this often. Default 0 (pushes only on demand). */
  readonly markPriceIntervalMs?: number
  /** Request weight per minute before 429. Default 2400. */
  readonly weightLimitPerMinute?: number
}

/** A running fake: see the module comment. */
export interface FakeBinance {
  /** `http://127.0.0.1:<port>`: the REST base URL. */
  readonly restUrl: string
  /** `ws://127.0.0.1:<port>`: the WebSocket base URL (streams at `/market/stream`). */
  readonly wsUrl: string
  readonly apiKey: string
  readonly apiSecret: string
  /** The fake's clock, epoch ms. */
  readonly serverTime: () => number
  readonly setServerTimeOffset: (offsetMs: number) => void
  readonly setBalances: (balances: ReadonlyArray<FakeBalance>) => void
  readonly setPositions: (positions: ReadonlyArray<FakePosition>) => void
  /** The symbol's leverage (symbol configuration, margins). Default 20. */
  readonly setLeverage: (symbol: string, leverage: number) => void
  /** Sets the mark price served by the premium index (and by periodic pushes), without pushing. */
  readonly setMarkPrice: (symbol: string, price: number) => void
  /** Sets the mark price and pushes it to every subscribed socket; answers how many streams got it. */
  readonly pushMarkPrice: (symbol: string, price: number, eventTime?: number) => number
  /** Answers the next `times` requests (of `path`, or any) with this error. */
  readonly failNext: (error: FakeError, options?: { readonly path?: string; readonly times?: number }) => void
  /** Forgets the errors `failNext` still had to answer. */
  readonly clearFailures: () => void
  /**
   * From now until `retryAfterSeconds` have passed, every request is answered `status` with
   * `Retry-After` — or, with `retryAfterHeader: false`, without it: the 418 message still says
   * `… banned until <server epoch ms>`, as Binance's does.
   */
  readonly rateLimit: (options: { readonly status: 429 | 418; readonly retryAfterSeconds: number; readonly retryAfterHeader?: boolean }) => void
  /**
   * While on, the exchange is unreachable: every REST connection is cut without an answer
   * (recorded with status 0) and WebSocket upgrades are dropped. Open sockets are not touched
   * (see `dropConnections`).
   */
  readonly setOutage: (outage: boolean) => void
  /** Terminates every open WebSocket (as a network cut would). */
  readonly dropConnections: () => void
  /** While on, sockets stay open but send nothing: no data, no answers, no pings. */
  readonly setSilent: (silent: boolean) => void
  /** While on, WebSocket upgrades are answered 503. */
  readonly refuseConnections: (refuse: boolean) => void
  /** Every REST request so far. */
  readonly requests: () => ReadonlyArray<RecordedRequest>
  readonly clearRequests: () => void
  /** Every WebSocket connection so far. */
  readonly connections: () => ReadonlyArray<FakeConnection>
  /** The connections still open. */
  readonly openConnections: () => ReadonlyArray<FakeConnection>
  /** Stops the servers and closes every connection. */
  readonly close: () => Promise<void>
}

const hex = (): string => randomBytes(32).toString("hex")

/** Starts a fake on 127.0.0.1, on a free port. */
export const start = async (options: Options = {}): Promise<FakeBinance> => {
  const state: State = {
    apiKey: options.apiKey ?? hex(),
    apiSecret: options.apiSecret ?? hex(),
    offsetMs: options.serverTimeOffsetMs ?? 0,
    balances: [],
    positions: [],
    leverage: new Map(),
    marks: new Map(),
    failures: [],
    rateLimit: undefined,
    outage: false,
    weight: { minute: 0, used: 0 },
    weightLimit: options.weightLimitPerMinute ?? 2_400,
    requests: [],
    silent: false,
    refuse: false,
    connections: [],
    pingIntervalMs: options.pingIntervalMs ?? 180_000,
    maxConnectionAgeMs: options.maxConnectionAgeMs ?? 24 * 60 * 60 * 1000,
    markPriceIntervalMs: options.markPriceIntervalMs ?? 0
  }
  const server = createServer((request, response) => FakeRest.handle(state, request, response))
  const sockets = new WebSocketServer({ noServer: true })
  server.on("upgrade", (request, socket, head) => FakeStream.upgrade(state, sockets, request, socket, head))
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo

  const view = (c: State["connections"][number]): FakeConnection => ({
    id: c.id,
    path: c.path,
    urlStreams: c.urlStreams,
    streams: [...c.streams],
    controlMessages: [...c.controlMessages],
    openedAt: c.openedAt,
    closedAt: c.closedAt
  })
  const setMark = (symbol: string, price: number) => {
    const mark = { price, indexPrice: price, fundingRate: 0.0001 }
    state.marks.set(symbol, mark)
    return mark
  }

  return {
    restUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    apiKey: state.apiKey,
    apiSecret: state.apiSecret,
    serverTime: () => serverTime(state),
    setServerTimeOffset: (offsetMs) => void (state.offsetMs = offsetMs),
    setBalances: (balances) => void (state.balances = balances),
    setPositions: (positions) => void (state.positions = positions),
    setLeverage: (symbol, leverage) => void state.leverage.set(symbol, leverage),
    setMarkPrice: (symbol, price) => void setMark(symbol, price),
    pushMarkPrice: (symbol, price, eventTime) => FakeStream.pushMarkPrice(state, symbol, setMark(symbol, price), eventTime ?? serverTime(state)),
    failNext: (error, failure = {}) => void state.failures.push({ error, path: failure.path, remaining: failure.times ?? 1 }),
    clearFailures: () => void state.failures.splice(0),
    rateLimit: ({ retryAfterHeader, retryAfterSeconds, status }) =>
      void (state.rateLimit = { status, until: Date.now() + retryAfterSeconds * 1000, retryAfterHeader: retryAfterHeader ?? true }),
    setOutage: (outage) => void (state.outage = outage),
    dropConnections: () => {
      for (const c of state.connections) if (c.closedAt === undefined) c.socket.terminate()
    },
    setSilent: (silent) => void (state.silent = silent),
    refuseConnections: (refuse) => void (state.refuse = refuse),
    requests: () => [...state.requests],
    clearRequests: () => void state.requests.splice(0),
    connections: () => state.connections.map(view),
    openConnections: () => state.connections.filter((c) => c.closedAt === undefined).map(view),
    close: async () => {
      for (const c of state.connections) if (c.closedAt === undefined) c.socket.terminate()
      await new Promise<void>((resolve) => sockets.close(() => resolve()))
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A fake for the life of the scope. */
export const scoped = (options: Options = {}): Effect.Effect<FakeBinance, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (fake) => Effect.promise(() => fake.close()))
