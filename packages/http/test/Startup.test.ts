/**
 * End to end, a service that cannot start says why and exits with code 1: a bad variable is
 * named (no stack trace), a port in use is reported, nothing is left running.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer } from "node:net"
import * as ServerProcess from "./support/ServerProcess.js"

const STACK = /^\s+at /m

/** A port held by another server for the life of the scope. */
const busyPort = Effect.acquireRelease(
  Effect.async<{ readonly port: number; readonly close: () => void }>((resume) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed({ port: typeof address === "object" && address !== null ? address.port : 0, close: () => server.close() }))
    })
  }),
  (held) => Effect.sync(held.close)
)

describe("a service that cannot start", () => {
  it.scopedLive("exits 1 naming the bad variable, or saying the port is taken", () =>
    Effect.gen(function* () {
      const held = yield* busyPort
      // Every other variable is checked by the unit tests of HttpConfig, Adapters and Program.
      const [timezone, port] = yield* Effect.all(
        [
          ServerProcess.runToExit({ PORTFOLIO_TRADE_STORE_TYPE: "memory", PORTFOLIO_TIMEZONE: "Mars/Base" }),
          ServerProcess.runToExit({ PORTFOLIO_TRADE_STORE_TYPE: "memory", PORTFOLIO_HTTP_PORT: String(held.port) })
        ],
        { concurrency: "unbounded" }
      )
      expect(timezone.code).toBe(1)
      expect(timezone.output).toContain("portfolio-intelligence: bad configuration: PORTFOLIO_TIMEZONE must be an IANA time zone")
      expect(timezone.output).not.toMatch(STACK)
      expect(timezone.output).not.toContain("listening on")

      expect(port.code).toBe(1)
      expect(port.output).toMatch(/portfolio-intelligence: cannot start: cannot listen: .*EADDRINUSE/)
      expect(port.output).not.toMatch(STACK)
    }), 120_000)
})
