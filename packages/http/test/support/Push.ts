/**
 * Clients of the push routes for the tests: an SSE reader on `node:http` (its own connection,
 * no agent) and a WebSocket on `ws`, each collecting what it receives; both closed with the
 * test's scope.
 */
import { Effect, type Scope } from "effect"
import { request as httpRequest, type IncomingMessage } from "node:http"
import { WebSocket } from "ws"

/** One received event. */
export interface Received {
  readonly id: string
  readonly type: string
  readonly payload: any
  /** `performance.now()` when it arrived. */
  readonly at: number
}

/** A connected client and what it has received so far. */
export interface Client {
  readonly status: number
  readonly headers: IncomingMessage["headers"]
  readonly events: Array<Received>
  /** Comments received (`heartbeat`, `connected`). */
  readonly comments: Array<string>
  /** The error body when the connection was refused. */
  readonly refusal: unknown
  readonly close: () => void
}

/** Parses SSE text into events, keeping what is not complete yet. */
const sseParser = (onEvent: (e: { id: string; type: string; data: string }) => void, onComment: (c: string) => void) => {
  let buffer = ""
  return (text: string) => {
    buffer += text
    let end: number
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let id = ""
      let type = "message"
      const data: Array<string> = []
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) onComment(line.slice(1).trim())
        else if (line.startsWith("id: ")) id = line.slice(4)
        else if (line.startsWith("event: ")) type = line.slice(7)
        else if (line.startsWith("data: ")) data.push(line.slice(6))
      }
      if (data.length > 0) onEvent({ id, type, data: data.join("\n") })
    }
  }
}

/** Opens `GET path` on `port` as an event stream; resolves once the answer's head is in. */
export const sse = (port: number, path: string, headers: Record<string, string> = {}): Effect.Effect<Client, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Client, Error>((resume) => {
      const events: Array<Received> = []
      const comments: Array<string> = []
      const req = httpRequest({ host: "127.0.0.1", port, path, agent: false, headers: { accept: "text/event-stream", ...headers } }, (res) => {
        res.setEncoding("utf8")
        let body = ""
        const client: Client = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          comments,
          get refusal() {
            try {
              return JSON.parse(body)
            } catch {
              return body
            }
          },
          close: () => req.destroy()
        }
        const parse = sseParser(
          (e) => events.push({ id: e.id, type: e.type, payload: JSON.parse(e.data), at: performance.now() }),
          (c) => comments.push(c)
        )
        res.on("data", (text: string) => (res.statusCode === 200 ? parse(text) : (body += text)))
        res.on("error", () => {})
        resume(Effect.succeed(client))
      })
      req.on("error", (e) => resume(Effect.fail(e)))
      req.end()
    }),
    (client) => Effect.sync(() => client.close())
  )

/** Opens a WebSocket to `ws://127.0.0.1:<port><path>`; resolves once open (or refused: status ≠ 101). */
export const ws = (port: number, path: string, headers: Record<string, string> = {}): Effect.Effect<Client & { readonly socket: WebSocket }, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Client & { readonly socket: WebSocket }, Error>((resume) => {
      const events: Array<Received> = []
      const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers })
      const base = { events, comments: [] as Array<string>, socket, close: () => socket.terminate() }
      socket.on("message", (data) => {
        const m = JSON.parse(String(data))
        events.push({ id: m.id, type: m.type, payload: m.payload, at: performance.now() })
      })
      socket.on("open", () => resume(Effect.succeed({ ...base, status: 101, headers: {}, refusal: undefined })))
      socket.on("unexpected-response", (_req, res) => {
        let body = ""
        res.setEncoding("utf8").on("data", (d: string) => (body += d))
        res.on("end", () => resume(Effect.succeed({ ...base, status: res.statusCode ?? 0, headers: res.headers, refusal: JSON.parse(body) })))
      })
      socket.on("error", (e) => resume(Effect.fail(e)))
    }),
    (client) => Effect.sync(() => client.close())
  )
