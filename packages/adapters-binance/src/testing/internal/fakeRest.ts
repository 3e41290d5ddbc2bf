/**
 * The fake exchange's REST side: the documented endpoints, request weights and the
 * `X-MBX-USED-WEIGHT-1M` header, 429/418 with `Retry-After` (or, on demand, only the ban time in
 * the message, `… banned until <server epoch ms>`), a cut connection during an outage, and the checks a SIGNED endpoint
 * makes (API key, `timestamp` within `recvWindow` of the server's time and not over 1 s ahead,
 * HMAC-SHA256 signature as the last parameter), answered with Binance's error JSON.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { verify } from "../../internal/signing.js"
import {
  errorBody,
  type FakeError,
  renderAccount,
  renderBalances,
  renderPositionRisk,
  renderPremiumIndex,
  renderSymbolConfig,
  serverTime,
  type State
} from "./fakeState.js"

type Params = Readonly<Record<string, string>>
type Answer = { readonly status: number; readonly body: unknown }

interface Route {
  readonly signed: boolean
  readonly weight: (params: Params) => number
  readonly answer: (state: State, params: Params) => Answer
}

const ok = (body: unknown): Answer => ({ status: 200, body })
const fail = (status: number, code: number, msg: string): Answer => ({ status, body: errorBody(code, msg) })

const premiumIndex = (state: State, params: Params): Answer => {
  const symbol = params["symbol"]
  if (symbol === undefined) return ok([...state.marks].map(([s, mark]) => renderPremiumIndex(state, s, mark)))
  const mark = state.marks.get(symbol)
  return mark === undefined ? fail(400, -1121, "Invalid symbol.") : ok(renderPremiumIndex(state, symbol, mark))
}

const ROUTES: Readonly<Record<string, Route>> = {
  "/fapi/v1/ping": { signed: false, weight: () => 1, answer: () => ok({}) },
  "/fapi/v1/time": { signed: false, weight: () => 1, answer: (state) => ok({ serverTime: serverTime(state) }) },
  "/fapi/v1/premiumIndex": { signed: false, weight: (p) => (p["symbol"] === undefined ? 10 : 1), answer: premiumIndex },
  "/fapi/v3/balance": { signed: true, weight: () => 5, answer: (state) => ok(renderBalances(state)) },
  "/fapi/v3/account": { signed: true, weight: () => 5, answer: (state) => ok(renderAccount(state)) },
  "/fapi/v3/positionRisk": { signed: true, weight: () => 5, answer: (state, p) => ok(renderPositionRisk(state, p["symbol"])) },
  "/fapi/v1/symbolConfig": { signed: true, weight: () => 5, answer: (state, p) => ok(renderSymbolConfig(state, p["symbol"])) }
}

const mandatory = (name: string): Answer =>
  fail(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`)

/** The checks of a SIGNED endpoint, in the order the fake applies them. */
const authenticate = (state: State, rawQuery: string, params: Params, apiKey: string | undefined): Answer | undefined => {
  if (apiKey === undefined || apiKey.length === 0) return fail(401, -2014, "API-key format invalid.")
  if (apiKey !== state.apiKey) return fail(401, -2015, "Invalid API-key, IP, or permissions for action.")
  const timestamp = Number(params["timestamp"])
  if (params["timestamp"] === undefined || !Number.isInteger(timestamp)) return mandatory("timestamp")
  const marker = rawQuery.lastIndexOf("signature=")
  const signature = params["signature"]
  // The signature must be the last parameter: everything before it is what was signed.
  if (signature === undefined || signature.length === 0 || marker < 0 || rawQuery.slice(marker).includes("&")) return mandatory("signature")
  const payload = rawQuery.slice(0, Math.max(0, marker - 1))
  if (!verify(payload, signature, state.apiSecret)) return fail(400, -1022, "Signature for this request is not valid.")
  const recvWindow = params["recvWindow"] === undefined ? 5_000 : Number(params["recvWindow"])
  if (!Number.isFinite(recvWindow) || recvWindow <= 0 || recvWindow > 60_000) return mandatory("recvWindow")
  const now = serverTime(state)
  if (timestamp >= now + 1_000) return fail(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
  if (now - timestamp > recvWindow) return fail(400, -1021, "Timestamp for this request is outside of the recvWindow.")
  return undefined
}

const takeFailure = (state: State, path: string): FakeError | undefined => {
  const failure = state.failures.find((f) => f.remaining > 0 && (f.path === undefined || f.path === path))
  if (failure === undefined) return undefined
  failure.remaining -= 1
  if (failure.remaining === 0) state.failures.splice(state.failures.indexOf(failure), 1)
  return failure.error
}

/** Answers one HTTP request. */
export const handle = (state: State, request: IncomingMessage, response: ServerResponse): void => {
  const url = new URL(request.url ?? "/", "http://fake.invalid")
  const path = url.pathname
  const params: Params = Object.fromEntries(url.searchParams)
  const header = request.headers["x-mbx-apikey"]
  const apiKey = Array.isArray(header) ? header[0] : header
  const at = Date.now()
  const now = serverTime(state)
  // The Date header follows the fake's clock, as Binance's follows the server's.
  const headers: Record<string, string> = { "content-type": "application/json", date: new Date(now).toUTCString() }

  if (state.outage) {
    state.requests.push({ method: request.method ?? "GET", path, params, apiKeyPresent: apiKey !== undefined, at, serverTime: now, status: 0, code: undefined })
    request.socket.destroy()
    return
  }

  const reply = (answer: Answer): void => {
    const code = typeof answer.body === "object" && answer.body !== null && "code" in answer.body ? Number(answer.body.code) : undefined
    state.requests.push({ method: request.method ?? "GET", path, params, apiKeyPresent: apiKey !== undefined, at, serverTime: now, status: answer.status, code })
    response.writeHead(answer.status, headers)
    response.end(JSON.stringify(answer.body))
  }

  const route = ROUTES[path]
  if (route === undefined || request.method !== "GET") return reply(fail(404, -5000, `Path ${path}, Method ${request.method} is invalid`))

  const limit = state.rateLimit
  if (limit !== undefined && at < limit.until) {
    if (limit.retryAfterHeader) headers["retry-after"] = String(Math.ceil((limit.until - at) / 1000))
    return reply(
      limit.status === 418
        ? fail(418, -1003, `Way too many requests; IP(127.0.0.1) banned until ${limit.until + state.offsetMs}. Please use the websocket for live updates to avoid bans.`)
        : fail(429, -1003, `Too many requests; current limit of IP(127.0.0.1) is ${state.weightLimit} requests per minute. Please use the websocket for live updates to avoid polling the API.`)
    )
  }
  if (limit !== undefined) state.rateLimit = undefined

  const minute = Math.floor(now / 60_000)
  if (state.weight.minute !== minute) state.weight = { minute, used: 0 }
  state.weight.used += route.weight(params)
  headers["x-mbx-used-weight-1m"] = String(state.weight.used)
  if (state.weight.used > state.weightLimit) {
    headers["retry-after"] = String(Math.ceil(((minute + 1) * 60_000 - now) / 1000))
    return reply(fail(429, -1003, `Too many requests; current limit of IP(127.0.0.1) is ${state.weightLimit} requests per minute.`))
  }

  const injected = takeFailure(state, path)
  if (injected !== undefined) return reply(fail(injected.status, injected.code, injected.msg))

  if (route.signed) {
    const refusal = authenticate(state, url.search.slice(1), params, apiKey)
    if (refusal !== undefined) return reply(refusal)
  }
  return reply(route.answer(state, params))
}
