import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import WebSocket from "ws"
import { sign } from "../src/internal/signing.js"
import { FakeBinance } from "../src/testing/index.js"
import { waitFor } from "./support/conditions.js"

let fake: FakeBinance.FakeBinance

beforeAll(async () => {
  fake = await FakeBinance.start()
})
afterAll(() => fake.close())

const get = async (path: string, query = "", apiKey?: string) => {
  const response = await fetch(`${fake.restUrl}${path}${query ? `?${query}` : ""}`, { headers: apiKey === undefined ? {} : { "X-MBX-APIKEY": apiKey } })
  return { status: response.status, headers: response.headers, body: (await response.json()) as any }
}

const signed = (query: string, secret = fake.apiSecret) => `${query}&signature=${sign(query, secret)}`
const stamp = (offsetMs = 0) => `recvWindow=5000&timestamp=${fake.serverTime() + offsetMs}`

describe("FakeBinance REST", () => {
  it("answers server time on its own clock", async () => {
    fake.setServerTimeOffset(3_600_000)
    const { body } = await get("/fapi/v1/time")
    expect(Object.keys(body)).toEqual(["serverTime"])
    expect(Math.abs(body.serverTime - (Date.now() + 3_600_000))).toBeLessThan(1_000)
    fake.setServerTimeOffset(0)
  })

  it("serves the documented balance V3 shape to a correctly signed request", async () => {
    fake.setBalances([{ asset: "USDT", balance: 1234.5 }, { asset: "BNB", balance: 0.25 }])
    const answer = await get("/fapi/v3/balance", signed(stamp()), fake.apiKey)
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.body[0]).sort()).toEqual(
      ["accountAlias", "asset", "availableBalance", "balance", "crossUnPnl", "crossWalletBalance", "marginAvailable", "maxWithdrawAmount", "updateTime"]
    )
    expect(answer.body[0]).toMatchObject({ asset: "USDT", balance: "1234.50000000", marginAvailable: true })
    expect(Number(answer.headers.get("x-mbx-used-weight-1m"))).toBeGreaterThanOrEqual(5)
  })

  it("serves position information V3, symbol configuration and account V3", async () => {
    fake.setLeverage("BTCUSDT", 10)
    fake.setPositions([
      { symbol: "BTCUSDT", positionAmt: -0.5, entryPrice: 60_000, markPrice: 59_000 },
      { symbol: "ETHUSDT", positionAmt: 0, entryPrice: 3_000 }
    ])
    const risk = await get("/fapi/v3/positionRisk", signed(stamp()), fake.apiKey)
    expect(risk.body).toHaveLength(1)
    expect(Object.keys(risk.body[0]).sort()).toEqual([
      "adl", "askNotional", "bidNotional", "breakEvenPrice", "entryPrice", "initialMargin", "isolatedMargin", "isolatedWallet",
      "liquidationPrice", "maintMargin", "marginAsset", "markPrice", "notional", "openOrderInitialMargin", "positionAmt",
      "positionInitialMargin", "positionSide", "symbol", "unRealizedProfit", "updateTime"
    ])
    expect(risk.body[0]).toMatchObject({ positionSide: "BOTH", positionAmt: "-0.5", entryPrice: "60000", unRealizedProfit: "500.00000000", notional: "-29500.00000000", positionInitialMargin: "2950.00000000" })
    const config = await get("/fapi/v1/symbolConfig", signed(`symbol=BTCUSDT&${stamp()}`), fake.apiKey)
    expect(config.body).toEqual([{ symbol: "BTCUSDT", marginType: "CROSSED", isAutoAddMargin: false, leverage: 10, maxNotionalValue: "1000000" }])
    const account = await get("/fapi/v3/account", signed(stamp()), fake.apiKey)
    expect(account.body.totalWalletBalance).toBe("1234.75000000")
    expect(account.body.positions.map((p: any) => p.symbol)).toEqual(["BTCUSDT"])
  })

  it("checks the API key, the signature and the timestamp like the exchange", async () => {
    const cases: Array<[string, string | undefined, number, number]> = [
      [signed(stamp()), undefined, 401, -2014],
      [signed(stamp()), "not-the-key", 401, -2015],
      [signed(stamp(), "wrong-secret"), fake.apiKey, 400, -1022],
      [signed(stamp(-6_000)), fake.apiKey, 400, -1021],
      [signed(stamp(1_500)), fake.apiKey, 400, -1021],
      [stamp(), fake.apiKey, 400, -1102],
      [`${signed(stamp())}&extra=1`, fake.apiKey, 400, -1102]
    ]
    for (const [query, key, status, code] of cases) {
      const answer = await get("/fapi/v3/balance", query, key)
      expect([answer.status, answer.body.code, typeof answer.body.msg]).toEqual([status, code, "string"])
    }
  })

  it("serves the premium index for one symbol, all, and refuses an unknown one", async () => {
    fake.setMarkPrice("BTCUSDT", 65_000.5)
    const one = await get("/fapi/v1/premiumIndex", "symbol=BTCUSDT")
    expect(Object.keys(one.body).sort()).toEqual(["estimatedSettlePrice", "indexPrice", "interestRate", "lastFundingRate", "markPrice", "nextFundingTime", "symbol", "time"])
    expect(one.body.markPrice).toBe("65000.50000000")
    const all = await get("/fapi/v1/premiumIndex")
    expect(Array.isArray(all.body)).toBe(true)
    expect(await get("/fapi/v1/premiumIndex", "symbol=NOPEUSDT")).toMatchObject({ status: 400, body: { code: -1121, msg: "Invalid symbol." } })
  })

  it("rate-limits with Retry-After, then answers again", async () => {
    const start = Date.now()
    fake.rateLimit({ status: 418, retryAfterSeconds: 1 })
    const banned = await get("/fapi/v1/time")
    expect(banned.status).toBe(418)
    expect(banned.headers.get("retry-after")).toBe("1")
    expect(banned.body.code).toBe(-1003)
    const statuses: Array<number> = []
    for (let round = 0; round < 100 && statuses.at(-1) !== 200; round++) {
      statuses.push((await get("/fapi/v1/time")).status)
      if (statuses.at(-1) !== 200) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(statuses.at(-1)).toBe(200)
    expect(statuses.slice(0, -1).every((status) => status === 418)).toBe(true)
    expect(Date.now() - start).toBeGreaterThanOrEqual(1_000)
  })

  it("a 418 without Retry-After states its end in the message, in server time; the Date header follows the fake's clock", async () => {
    fake.setServerTimeOffset(3_600_000)
    fake.rateLimit({ status: 418, retryAfterSeconds: 2, retryAfterHeader: false })
    const banned = await get("/fapi/v1/time")
    fake.rateLimit({ status: 418, retryAfterSeconds: 0 })
    fake.setServerTimeOffset(0)
    expect(banned.status).toBe(418)
    expect(banned.headers.get("retry-after")).toBeNull()
    const until = Number(/banned until (\d+)/.exec(banned.body.msg)?.[1])
    expect(Math.abs(until - (Date.now() + 3_600_000 + 2_000))).toBeLessThan(1_000)
    expect(Math.abs(Date.parse(banned.headers.get("date")!) - (Date.now() + 3_600_000))).toBeLessThan(2_000)
  })

  it("an outage cuts every REST connection without an answer (recorded with status 0) and drops WebSocket upgrades", async () => {
    fake.clearRequests()
    fake.setOutage(true)
    try {
      await expect(get("/fapi/v1/time")).rejects.toThrow()
      await expect(connect("/market/stream")).rejects.toThrow()
      expect(fake.requests().map((r) => `${r.path} ${r.status}`)).toEqual(["/fapi/v1/time 0"])
    } finally {
      fake.setOutage(false)
    }
    expect((await get("/fapi/v1/time")).status).toBe(200)
  })

  it("serves marginAvailable per asset (Multi-Assets mode)", async () => {
    fake.setBalances([{ asset: "USDT", balance: 1 }, { asset: "BNFCR", balance: 2, marginAvailable: false }])
    const answer = await get("/fapi/v3/balance", signed(stamp()), fake.apiKey)
    expect(answer.body.map((b: any) => [b.asset, b.balance, b.marginAvailable])).toEqual([["USDT", "1.00000000", true], ["BNFCR", "2.00000000", false]])
  })

  it("answers an injected error once, for the given path", async () => {
    fake.failNext({ status: 503, code: -1001, msg: "Internal error; unable to process your request. Please try again." }, { path: "/fapi/v1/time" })
    expect((await get("/fapi/v1/ping")).status).toBe(200)
    expect((await get("/fapi/v1/time")).body.code).toBe(-1001)
    expect((await get("/fapi/v1/time")).status).toBe(200)
  })
})

const connect = (path: string) =>
  new Promise<{ socket: WebSocket; frames: Array<any> }>((resolve, reject) => {
    const socket = new WebSocket(`${fake.wsUrl}${path}`)
    const frames: Array<any> = []
    socket.on("message", (data) => frames.push(JSON.parse(String(data))))
    socket.once("open", () => resolve({ socket, frames }))
    socket.once("error", reject)
  })

const until = (predicate: () => boolean, what: string) => Effect.runPromise(waitFor(() => predicate(), (ok) => ok, { what, timeoutMs: 5_000 }))

describe("FakeBinance stream", () => {
  it("pushes combined-stream mark prices to /market subscribers, and answers SUBSCRIBE and LIST_SUBSCRIPTIONS", async () => {
    const market = await connect("/market/stream?streams=btcusdt@markPrice@1s")
    const legacy = await connect("/stream?streams=btcusdt@markPrice@1s")
    expect(fake.pushMarkPrice("BTCUSDT", 70_000)).toBe(1)
    await until(() => market.frames.length === 1, "a mark price frame")
    expect(market.frames[0]).toMatchObject({ stream: "btcusdt@markPrice@1s", data: { e: "markPriceUpdate", s: "BTCUSDT", p: "70000.00000000" } })
    expect(Object.keys(market.frames[0].data).sort()).toEqual(["E", "P", "T", "e", "i", "p", "r", "s"])
    market.socket.send(JSON.stringify({ method: "SUBSCRIBE", params: ["ethusdt@markPrice@1s"], id: 7 }))
    market.socket.send(JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: 8 }))
    market.socket.send(JSON.stringify({ method: "SUBSCRIBE", params: [], id: -1 }))
    await until(() => market.frames.length === 4, "three answers")
    expect(market.frames.slice(1)).toEqual([
      { result: null, id: 7 },
      { result: ["btcusdt@markPrice@1s", "ethusdt@markPrice@1s"], id: 8 },
      { code: 2, msg: "Invalid request: request ID must be an unsigned integer", id: null }
    ])
    expect(legacy.frames).toEqual([])
    market.socket.terminate()
    legacy.socket.terminate()
  })

  it("closes a connection that sends more than 10 messages a second", async () => {
    const { socket } = await connect("/market/stream")
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)))
    for (let id = 0; id < 12; id++) socket.send(JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id }))
    expect(await closed).toBe(1008)
  })

  it("refuses upgrades on demand and off the stream paths", async () => {
    fake.refuseConnections(true)
    await expect(connect("/market/stream")).rejects.toThrow(/503/)
    fake.refuseConnections(false)
    await expect(connect("/nowhere")).rejects.toThrow(/404/)
  })
})
