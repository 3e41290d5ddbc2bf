/**
 * The history and analytics of a SQLite-backed service survive a restart (issue 12): the
 * service is a child process, stopped with SIGTERM and started again on the same file.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { feed, ok } from "./support/AnalyticsTrades.js"
import * as ServerProcess from "./support/ServerProcess.js"

describe("history and analytics across a restart (SQLite file, child process)", () => {
  it.scopedLive("PnL, statistics, periods and closes are the same after the service is stopped and started again", () =>
    Effect.gen(function*() {
      const dir = yield* ServerProcess.tempDir
      const env = { PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "portfolio.db"), PORTFOLIO_SNAPSHOT_THROTTLE_MS: "0", PORTFOLIO_HTTP_LOG_REQUESTS: "false" }
      const paths = ["/api/portfolio/analytics?window=all", "/api/portfolio/periods?unit=month&count=1000", "/api/portfolio/performance", "/api/portfolio/trades", "/api/portfolio/heatmap?by=symbol_month"]
      const read = (url: string) => Effect.forEach(paths, (path) => ok(url, path))
      const strip = (answers: ReadonlyArray<any>) => answers.map((a) => (a.to === undefined ? a : { ...a, to: undefined, returns: undefined }))

      const before = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* ServerProcess.start(env)
        yield* feed(server.url)
        const answers = yield* read(server.url)
        const samples = (yield* ok(server.url, "/api/portfolio/equity")).buckets.reduce((n: number, b: any) => n + b.samples, 0)
        expect((yield* server.stop("SIGTERM")).code).toBe(0)
        return { answers, samples }
      }))
      expect(before.answers[0].round_trips.trades).toBe(3)
      expect(before.samples).toBeGreaterThan(0)

      const server = yield* ServerProcess.start(env)
      const after = yield* read(server.url)
      expect(strip(after)).toEqual(strip(before.answers))
      const samples = (yield* ok(server.url, "/api/portfolio/equity")).buckets.reduce((n: number, b: any) => n + b.samples, 0)
      expect(samples).toBeGreaterThanOrEqual(before.samples)
    }))
})
