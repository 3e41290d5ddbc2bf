/**
 * The fake exchange's WebSocket side: combined streams at `/market/stream` (mark prices),
 * `/public/stream` and the unrouted `/stream` (which, as on Binance since the 2026 split, never
 * carry mark prices); `SUBSCRIBE`, `UNSUBSCRIBE` and `LIST_SUBSCRIPTIONS` with Binance's answers
 * and error codes; server pings every 3 minutes; the 24-hour cut; at most 10 incoming messages
 * per second; silence and refusal on demand.
 */
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import type { WebSocket, WebSocketServer } from "ws"
import type { MarkPriceUpdateJson } from "../../internal/wire.js"
import { type ConnectionState, type Mark, serverTime, type State } from "./fakeState.js"

const ROUTES: Readonly<Record<string, string>> = { "/market/stream": "market", "/public/stream": "public", "/stream": "none" }

const rejectUpgrade = (socket: Duplex, status: string): void => {
  // The client may reset the connection as soon as it has read the status (ECONNRESET here): an
  // upgrade socket has no error listener of the HTTP server's, so without this one it would throw.
  socket.on("error", () => socket.destroy())
  socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
}

const send = (connection: ConnectionState, body: unknown): void => {
  if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(JSON.stringify(body))
}

const isMarkPriceStream = (stream: string, symbol: string): boolean =>
  stream === `${symbol.toLowerCase()}@markPrice` || stream === `${symbol.toLowerCase()}@markPrice@1s`

/** The `markPriceUpdate` event of a symbol. */
export const markPriceUpdate = (state: State, symbol: string, mark: Mark, eventTime: number): MarkPriceUpdateJson => ({
  e: "markPriceUpdate",
  E: eventTime,
  s: symbol,
  p: mark.price.toFixed(8),
  i: mark.indexPrice.toFixed(8),
  P: mark.indexPrice.toFixed(8),
  r: mark.fundingRate.toFixed(8),
  T: (Math.floor(serverTime(state) / 28_800_000) + 1) * 28_800_000
})

/** Sends a symbol's mark price to every open `/market` connection subscribed to it; answers how many got it. */
export const pushMarkPrice = (state: State, symbol: string, mark: Mark, eventTime: number): number => {
  if (state.silent) return 0
  let reached = 0
  let data: MarkPriceUpdateJson | undefined
  for (const connection of state.connections) {
    if (connection.closedAt !== undefined || connection.path !== "/market/stream") continue
    for (const stream of connection.streams) {
      if (!isMarkPriceStream(stream, symbol)) continue
      data ??= markPriceUpdate(state, symbol, mark, eventTime)
      send(connection, { stream, data })
      reached += 1
    }
  }
  return reached
}

const onControl = (connection: ConnectionState, text: string): void => {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch (error) {
    return send(connection, { code: 3, msg: `Invalid JSON: ${(error as Error).message}`, id: null })
  }
  connection.controlMessages.push(message)
  const request = (typeof message === "object" && message !== null ? message : {}) as Record<string, unknown>
  const id = request["id"]
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
    return send(connection, { code: 2, msg: "Invalid request: request ID must be an unsigned integer", id: null })
  }
  const params = request["params"]
  const streams = Array.isArray(params) && params.every((p) => typeof p === "string") ? (params as Array<string>) : undefined
  switch (request["method"]) {
    case "SUBSCRIBE":
      if (streams === undefined) return send(connection, { code: 2, msg: "Invalid request: missing field `params`", id })
      for (const stream of streams) connection.streams.add(stream)
      return send(connection, { result: null, id })
    case "UNSUBSCRIBE":
      if (streams === undefined) return send(connection, { code: 2, msg: "Invalid request: missing field `params`", id })
      for (const stream of streams) connection.streams.delete(stream)
      return send(connection, { result: null, id })
    case "LIST_SUBSCRIPTIONS":
      return send(connection, { result: [...connection.streams], id })
    default:
      return send(connection, {
        code: 2,
        msg: `Invalid request: unknown variant \`${String(request["method"])}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\``,
        id
      })
  }
}

const accept = (state: State, socket: WebSocket, path: string, urlStreams: ReadonlyArray<string>): void => {
  const openedAt = Date.now()
  const connection: ConnectionState = {
    id: state.connections.length + 1,
    path,
    urlStreams,
    socket,
    streams: new Set(urlStreams),
    controlMessages: [],
    openedAt,
    closedAt: undefined,
    windowStart: openedAt,
    windowCount: 0,
    timers: []
  }
  state.connections.push(connection)
  connection.timers.push(setInterval(() => state.silent || socket.ping(), state.pingIntervalMs))
  connection.timers.push(setTimeout(() => socket.close(1000, "24 hour limit"), state.maxConnectionAgeMs))
  if (state.markPriceIntervalMs > 0) {
    connection.timers.push(
      setInterval(() => {
        for (const [symbol, mark] of state.marks) pushMarkPrice(state, symbol, mark, serverTime(state))
      }, state.markPriceIntervalMs)
    )
  }
  socket.on("message", (data) => {
    if (state.silent) return
    const now = Date.now()
    if (now - connection.windowStart >= 1_000) {
      connection.windowStart = now
      connection.windowCount = 0
    }
    connection.windowCount += 1
    if (connection.windowCount > 10) return socket.close(1008, "Too many messages")
    onControl(connection, String(data))
  })
  socket.on("close", () => {
    connection.closedAt = Date.now()
    for (const timer of connection.timers) clearTimeout(timer)
  })
}

/** Handles an HTTP upgrade: refused (503) on demand, 404 off the stream paths, else a connection. */
export const upgrade = (state: State, server: WebSocketServer, request: IncomingMessage, socket: Duplex, head: Buffer): void => {
  const url = new URL(request.url ?? "/", "http://fake.invalid")
  if (state.outage) return void socket.destroy()
  if (state.refuse) return rejectUpgrade(socket, "503 Service Unavailable")
  if (ROUTES[url.pathname] === undefined) return rejectUpgrade(socket, "404 Not Found")
  const streams = (url.searchParams.get("streams") ?? "").split("/").filter((s) => s.length > 0)
  server.handleUpgrade(request, socket, head, (ws) => accept(state, ws, url.pathname, streams))
}
