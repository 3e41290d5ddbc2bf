/**
 * An event's `trace_id` and `correlation_id` follow it (issue 16): every log line written
 * while it is handled — rejected, a failed commit and its retries alone, not applied,
 * published or not — carries them as annotations (a line about several events lists their
 * trace ids), and the events it causes to be published carry them in their envelopes. Checked
 * with a test logger that keeps every line with its annotations.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, HashMap, Layer, Logger, LogLevel, TestClock } from "effect"
import { BusError, EventBus, StoreError } from "../src/index.js"
import { envelope, eventually, iso, makePorts, makePortsWith, start, T0 } from "./support/Service.js"

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/** Keeps every log line with its annotations. */
const captureLogs = () => {
  const lines: Array<Line> = []
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.join(" ") : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations))
    })
  })
  return { lines, layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All)) }
}

/** An envelope with its trace. */
const traced = (e: ReturnType<typeof envelope>, traceId: string, correlationId?: string) => ({
  ...e,
  trace_id: traceId,
  ...(correlationId === undefined ? {} : { correlation_id: correlationId })
})
const open = (id: string, price = 100, quantity = 1) =>
  envelope("trade.opened", { trade_id: id, symbol: "BTCUSDT", side: "LONG", entry_price: price, quantity, timestamp: iso(T0) })

describe("trace ids", () => {
  it.effect("a rejected event's lines carry its trace and correlation ids, from the bus and from a caller", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const bus = Context.get(ports.context, EventBus)
      const { service, stop } = yield* start(ports, { snapshotInterval: Duration.hours(1) })
      const result = yield* service.ingest(traced(envelope("trade.opened", { symbol: "BTCUSDT" }), "tr-call", "co-call"))
      expect(result.status).toBe("rejected")
      yield* bus.publish(traced(envelope("trade.closed", { exit_price: 1 }), "tr-bus", "co-bus"))
      yield* eventually(ports.inspector.deadLetters("trade.closed"), (d) => d.length === 1)
      const rejected = logs.lines.filter((l) => l.message === "event rejected")
      expect(rejected.map((l) => [l.level, l.annotations["trace_id"], l.annotations["correlation_id"], l.annotations["origin"]])).toEqual([
        ["WARN", "tr-call", "co-call", "http"],
        ["WARN", "tr-bus", "co-bus", "bus"]
      ])
      expect(rejected[1]!.annotations["event_type"]).toBe("trade.closed")
      // The dead letter keeps the trace for whoever reads it.
      expect((yield* ports.inspector.deadLetters("trade.closed"))[0]!.fields["trace_id"]).toBe("tr-bus")
      yield* stop
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("a batch the store refuses: every warning and error names the traces, each event's own lines its own", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePortsWith({
        failCommit: (batch) =>
          batch.eventKey === "trade.opened:poison"
            ? new StoreError({ operation: "commit", reason: "injected: constraint failed", retryable: false })
            : undefined
      })
      const bus = Context.get(ports.context, EventBus)
      for (const id of ["before", "poison", "after"]) yield* bus.publish(traced(open(id), `tr-${id}`, `co-${id}`))
      const { stop } = yield* start(ports, { ingestMaxAttempts: 2, ingestRetryBase: Duration.millis(1), snapshotInterval: Duration.hours(1) })
      yield* eventually(ports.inspector.deadLetters("trade.opened"), (d) => d.length === 1)
      yield* stop

      const handling = logs.lines.filter((l) => l.level === "WARN" || l.level === "ERROR")
      expect(handling.length).toBeGreaterThanOrEqual(3)
      for (const line of handling) {
        expect(line.annotations["trace_id"] ?? line.annotations["trace_ids"], `${line.level} ${line.message}`).toBeDefined()
      }
      const batchLine = handling.find((l) => l.message.startsWith("a batch of 3 events could not be committed"))!
      expect(String(batchLine.annotations["trace_ids"]).split(",").sort()).toEqual(["tr-after", "tr-before", "tr-poison"])
      const notApplied = handling.filter((l) => l.message === "event not applied after every retry")
      expect(notApplied.map((l) => [l.annotations["trace_id"], l.annotations["correlation_id"]])).toEqual([["tr-poison", "co-poison"]])
      // The reloads after the poison's own failed commits are its lines.
      const reloads = handling.filter((l) => l.message.startsWith("state reloaded"))
      expect(reloads.length).toBeGreaterThanOrEqual(2)
      expect(reloads.slice(1).every((l) => l.annotations["trace_id"] === "tr-poison")).toBe(true)
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("what an event causes to be published carries its trace: the lifecycle snapshot, the pnl update, a drawdown alert; a failed publish's line too", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const bus = Context.get(ports.context, EventBus)
      // The bus refuses pnl updates: the failure's log line names the close's trace.
      const refusing = EventBus.of({
        ...bus,
        publish: (e) =>
          e.event_type === "portfolio.pnl_updated"
            ? Effect.fail(new BusError({ operation: "publish", reason: "injected", retryable: true }))
            : bus.publish(e)
      })
      const withRefusing = { ...ports, context: Context.add(ports.context, EventBus, refusing) }
      const { service, stop } = yield* start(withRefusing, { snapshotInterval: Duration.hours(1), lifecycleSnapshotThrottle: Duration.zero })
      const envelopesOf = (type: string) => Effect.map(ports.inspector.published(type), (es) => es.map((e) => e.fields))

      expect((yield* service.ingest(traced(open("a", 10_000, 0.5), "tr-open", "co-open")))).toMatchObject({ status: "applied" })
      // The first snapshot (at start) has no trace; the one the open caused has the open's.
      const snapshots = yield* eventually(envelopesOf("portfolio.snapshot_updated"), (es) => es.length === 2)
      expect(snapshots.map((s) => [s["trace_id"], s["correlation_id"], JSON.parse(s["payload"]!).num_positions])).toEqual([
        ["", undefined, 0],
        ["tr-open", "co-open", 1]
      ])

      // The price falls 20 %: equity 10 000 → 9 000, past the 5 % alert, seen at the next lifecycle snapshot.
      yield* service.ingest(envelope("market.tick", { symbol: "BTCUSDT", price: 8_000 }))
      yield* service.ingest(traced(open("b", 8_000, 0.1), "tr-second", "co-second"))
      const alerts = yield* eventually(envelopesOf("portfolio.drawdown_updated"), (es) => es.length === 1)
      expect(JSON.parse(alerts[0]!["payload"]!).reason).toBe("threshold_crossed")
      expect([alerts[0]!["trace_id"], alerts[0]!["correlation_id"]]).toEqual(["tr-second", "co-second"])

      yield* service.ingest(traced(envelope("trade.closed", { trade_id: "a", exit_price: 8_500, timestamp: iso(T0 + 1) }), "tr-close", "co-close"))
      const failure = yield* eventually(
        Effect.sync(() => logs.lines.filter((l) => l.message === "publish portfolio.pnl_updated failed")),
        (ls) => ls.length === 1
      )
      expect([failure[0]!.annotations["trace_id"], failure[0]!.annotations["correlation_id"]]).toEqual(["tr-close", "co-close"])
      yield* stop
    }).pipe(Effect.provide(logs.layer))
  })
})
