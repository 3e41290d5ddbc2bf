/**
 * The producer of the pipeline benchmark's steady run, in its own process as a Python market
 * data service would be: `XADD quantum:stream:market.tick MAXLEN ~ 10000 * event_type …
 * payload … trace_id … timestamp … source …` at a steady rate (every 2 ms, what is due so far,
 * in pipelines of at most 2 000). Usage: pipelineProducer.ts <port> <entries per second> <seconds>; prints
 * `{"sent":…,"seconds":…,"behindMs":…}` (the most it fell behind its schedule).
 */
import * as Clients from "./pipelineClients.js"

const [port = "6379", rateText = "20000", secondsText = "30"] = process.argv.slice(2)
const rate = Number(rateText)
const seconds = Number(secondsText)
const redis = Clients.redis(Number(port))
const now = () => performance.timeOrigin + performance.now()
const pythonNow = () => new Date().toISOString().replace("Z", "000")

const run = async () => {
  await redis.call("PING")
  const start = now()
  let sent = 0
  let behindMs = 0
  while (now() - start < seconds * 1000) {
    // At most 2 000 per pipeline: a producer that fell behind catches up in steps, not one burst.
    const due = Math.min(2_000, Math.floor(((now() - start) / 1000) * rate) - sent)
    if (due > 0) {
      behindMs = Math.max(behindMs, ((Math.floor(((now() - start) / 1000) * rate) - sent) / rate) * 1000)
      const pipeline = redis.pipeline()
      for (let i = 0; i < due; i++) {
        const n = sent + i
        const at = pythonNow()
        pipeline.call("XADD", "quantum:stream:market.tick", "MAXLEN", "~", "10000", "*",
          "event_type", "market.tick",
          "payload", JSON.stringify({ symbol: `SYM${n % 50}USDT`, price: 100 + (n % 1000) / 8, timestamp: at }),
          "trace_id", "", "timestamp", at, "source", "bench_market_data")
      }
      const replies = await pipeline.exec()
      const failed = (replies ?? []).find(([e]) => e !== null)
      if (failed !== undefined) throw failed[0]
      sent += due
      if (Math.floor(((now() - start) / 1000) * rate) - sent > 0) continue
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  process.stdout.write(JSON.stringify({ sent, seconds: (now() - start) / 1000, behindMs }) + "\n")
  redis.disconnect()
}
run().catch((error) => {
  console.error(error)
  process.exit(1)
})
