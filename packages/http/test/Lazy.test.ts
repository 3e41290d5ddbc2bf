/**
 * What the embedded service does not load until it needs it (issue 16, memory): the Redis,
 * PostgreSQL and Binance adapters (ioredis, pg) when the environment does not choose them,
 * and the Swagger UI page until `/docs` is asked for. The service runs as a child process with a
 * module hook that lists every module it loaded (support/loadedModules.mjs).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { join } from "node:path"
import * as Http from "./support/Http.js"
import * as ServerProcess from "./support/ServerProcess.js"
import { waitFor } from "./support/WaitFor.js"

const packageDir = new URL("..", import.meta.url).pathname
const LISTENING = /listening on http:\/\/[^:\s]+:(\d+)/
const LOADED = /LOADED_MODULES (\[.*\])/g

// (ws is loaded all the same: the service's own /ws route uses it.)
const ADAPTERS = /\/(adapters-redis|adapters-postgres|adapters-binance)\/|\/node_modules\/(ioredis|pg|pg-pool)\//
const SWAGGER = /HttpApiSwagger|httpApiSwagger/

describe("lazily loaded parts", () => {
  it.scopedLive("adapters not configured and the docs page are not loaded; /docs loads its page when asked", () =>
    Effect.gen(function* () {
      const dir = yield* ServerProcess.tempDir
      const env: NodeJS.ProcessEnv = {}
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PORTFOLIO_")) env[k] = v
      const { child, output } = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "--import", "./test/support/loadedModules.mjs", "src/main.ts"], {
            cwd: packageDir,
            env: { ...env, PORTFOLIO_HTTP_HOST: "127.0.0.1", PORTFOLIO_HTTP_PORT: "0", PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "p.db") },
            stdio: ["ignore", "pipe", "pipe"]
          })
          let text = ""
          child.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d))
          child.stderr!.setEncoding("utf8").on("data", (d: string) => (text += d))
          return { child, output: () => text }
        }),
        ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
      )
      const port = Number(LISTENING.exec(yield* waitFor(Effect.sync(output), (t) => LISTENING.test(t), "the service to listen", "60 seconds"))![1])
      const loadedNow = (n: number) =>
        Effect.gen(function* () {
          child.kill("SIGUSR2")
          const text = yield* waitFor(Effect.sync(output), (t) => [...t.matchAll(LOADED)].length >= n, "the list of loaded modules")
          return JSON.parse([...text.matchAll(LOADED)][n - 1]![1]!) as ReadonlyArray<string>
        })

      const atStart = yield* loadedNow(1)
      expect(atStart.some((u) => u.includes("/adapters-sqlite/"))).toBe(true) // the hook sees the embedded store
      expect(atStart.filter((u) => ADAPTERS.test(u))).toEqual([])
      expect(atStart.filter((u) => SWAGGER.test(u))).toEqual([])

      const docs = yield* Http.get(`http://127.0.0.1:${port}`, "/docs")
      expect(docs.status).toBe(200)
      expect(docs.text).toContain("SwaggerUIBundle")
      const afterDocs = yield* loadedNow(2)
      expect(afterDocs.some((u) => SWAGGER.test(u))).toBe(true)
      expect(afterDocs.filter((u) => ADAPTERS.test(u))).toEqual([])
    }), 120_000)
})
