import { describe, expect, it } from "@effect/vitest"
import { parseFrame } from "../src/internal/streamSocket.js"
import { streamEndpoint, streamUrl } from "../src/internal/streamSupervisor.js"

describe("parseFrame", () => {
  it("reads a markPriceUpdate of the combined stream", () => {
    const frame = JSON.stringify({
      stream: "btcusdt@markPrice@1s",
      data: { e: "markPriceUpdate", E: 1562305380000, s: "BTCUSDT", p: "11794.15000000", i: "11784.62659091", P: "11784.25641265", r: "0.00038167", T: 1562306400000 }
    })
    expect(parseFrame(frame)).toEqual({ _tag: "MarkPrice", symbol: "BTCUSDT", price: 11794.15, at: 1562305380000 })
  })

  it("reads answers and errors of control messages", () => {
    expect(parseFrame(`{"result":null,"id":3}`)).toEqual({ _tag: "Ack", id: 3 })
    expect(parseFrame(`{"code":2,"msg":"Invalid request","id":4}`)).toEqual({ _tag: "Error", id: 4, code: 2, msg: "Invalid request" })
    expect(parseFrame(`{"code":3,"msg":"Invalid JSON"}`)).toEqual({ _tag: "Error", id: null, code: 3, msg: "Invalid JSON" })
  })

  it("ignores other events, bad prices and malformed JSON", () => {
    expect(parseFrame(`{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT","p":"1"}}`)).toBeUndefined()
    expect(parseFrame(`{"stream":"x","data":{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"NaN"}}`)).toBeUndefined()
    expect(parseFrame(`{"stream":"x","data":{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"0"}}`)).toBeUndefined()
    expect(parseFrame(`{"stream":"x","data":{"e":"markPriceUpdate","s":"BTCUSDT","p":"1"}}`)).toBeUndefined()
    expect(parseFrame("{not json")).toBeUndefined()
    expect(parseFrame("42")).toBeUndefined()
  })
})

describe("stream URLs", () => {
  it("routes a bare base URL to /market/stream and keeps an explicit path", () => {
    expect(streamEndpoint("wss://fstream.binance.com")).toBe("wss://fstream.binance.com/market/stream")
    expect(streamEndpoint("wss://fstream.binance.com/")).toBe("wss://fstream.binance.com/market/stream")
    expect(streamEndpoint("wss://fstream.binancefuture.com/stream")).toBe("wss://fstream.binancefuture.com/stream")
    expect(streamEndpoint("ws://127.0.0.1:9000")).toBe("ws://127.0.0.1:9000/market/stream")
  })

  it("carries lower-case 1-second mark-price streams", () => {
    expect(streamUrl("wss://h/market/stream", ["BTCUSDT", "ETHUSDT"])).toBe("wss://h/market/stream?streams=btcusdt@markPrice@1s/ethusdt@markPrice@1s")
    expect(streamUrl("wss://h/market/stream", [])).toBe("wss://h/market/stream?streams=")
  })
})
