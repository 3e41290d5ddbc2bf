/**
 * The producer of the latency benchmark, in its own process as a Python service would be:
 * appends `market.tick` entries the way the Python bus does (`XADD … MAXLEN ~ 10000 *`) at a
 * steady rate, each payload carrying its send time (`sent_at`, epoch ms with fractions).
 * Usage: producer.ts <port> <stream key> <entries per second> <seconds>; prints what it sent.
 */
import { Redis } from "ioredis"

const [port = "6379", key = "quantum:stream:market.tick", rateText = "1000", secondsText = "5"] = process.argv.slice(2)
const rate = Number(rateText)
const seconds = Number(secondsText)
const redis = new Redis({ host: "127.0.0.1", port: Number(port) })
const now = () => performance.timeOrigin + performance.now()
const symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"]

const run = async () => {
  await redis.ping()
  const start = now()
  let sent = 0
  // Every 2 ms, send what is due so far: the rate holds on average without a timer per entry.
  while (now() - start < seconds * 1000) {
    const due = Math.floor(((now() - start) / 1000) * rate) - sent
    if (due > 0) {
      const pipeline = redis.pipeline()
      for (let i = 0; i < due; i++) {
        const n = sent + i
        const payload = { symbol: symbols[n % symbols.length], price: 100 + (n % 1000) / 10, sent_at: now(), timestamp: new Date().toISOString() }
        pipeline.xadd(key, "MAXLEN", "~", "10000", "*",
          "event_type", "market.tick", "payload", JSON.stringify(payload), "trace_id", "", "timestamp", new Date().toISOString().slice(0, -1), "source", "bench_producer")
      }
      await pipeline.exec()
      sent += due
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  const elapsed = (now() - start) / 1000
  process.stdout.write(JSON.stringify({ sent, seconds: elapsed }) + "\n")
  redis.disconnect()
}
run().catch((error) => {
  console.error(error)
  process.exit(1)
})
