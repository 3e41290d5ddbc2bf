/**
 * A small HTTP client for the end-to-end tests (the global `fetch`): every answer with its
 * status, headers and body (parsed as JSON when it is JSON).
 */
import { Effect } from "effect"
import { request as httpRequest } from "node:http"

/** An answer. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The body parsed as JSON (`undefined` when it is not JSON). */
  readonly body: any
}

/** Sends a request to `base + path`. */
export const request = (base: string, path: string, init: RequestInit = {}): Effect.Effect<Answer, Error> =>
  Effect.tryPromise({
    try: async () => {
      const response = await fetch(base + path, init)
      const text = await response.text()
      let body: unknown = undefined
      if ((response.headers.get("content-type") ?? "").includes("json")) body = JSON.parse(text)
      return { status: response.status, headers: response.headers, text, body }
    },
    catch: (cause) => new Error(`${init.method ?? "GET"} ${path} failed: ${String(cause)}`, { cause })
  })

/** `GET base + path`. */
export const get = (base: string, path: string, headers: Record<string, string> = {}) => request(base, path, { headers })

/** `POST base + path` with a JSON body (or a raw string) and the given headers. */
export const post = (base: string, path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
  request(base, path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) })

/** `POST /api/events` of an envelope with `payload` as an object. */
export const sendEvent = (
  base: string,
  eventType: string,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {}
) =>
  post(base, "/api/events", { event_type: eventType, payload, source: "e2e-test", trace_id: "" }, { "content-type": "application/json", ...headers })

/** An answer to {@link raw}. */
export interface RawAnswer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: any
}

/**
 * A request written by hand with `node:http`, for what `fetch` cannot do: a body in chunks
 * (no `Content-Length`), no `Content-Type`, or a body held back until `beforeBody` has run
 * (with `Expect: 100-continue`, `beforeBody` runs once the server has the request in hand).
 */
export const raw = (options: {
  readonly port: number
  readonly method: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly chunks?: ReadonlyArray<string>
  readonly beforeBody?: () => Promise<void>
}): Effect.Effect<RawAnswer, Error> =>
  Effect.tryPromise({
    try: () =>
      new Promise<RawAnswer>((resolve, reject) => {
        const req = httpRequest(
          { host: "127.0.0.1", port: options.port, method: options.method, path: options.path, headers: options.headers ?? {} },
          (res) => {
            let text = ""
            res.setEncoding("utf8").on("data", (d: string) => (text += d))
            res.on("end", () => {
              let body: unknown = text
              try {
                body = JSON.parse(text)
              } catch {
                // not JSON: keep the text
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
            })
          }
        )
        req.on("error", reject)
        const send = () => {
          for (const chunk of options.chunks ?? []) req.write(chunk)
          req.end()
        }
        if (options.beforeBody === undefined) send()
        else {
          req.flushHeaders()
          req.once("continue", () => void options.beforeBody!().then(send, reject))
        }
      }),
    catch: (cause) => new Error(`${options.method} ${options.path} failed: ${String(cause)}`, { cause })
  })
