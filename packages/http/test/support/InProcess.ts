/**
 * The real HTTP server in the test's own process, on a free port of 127.0.0.1, in front of the
 * service on memory adapters: for tests of the HTTP layer that need no child process.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { PortfolioConfig, PortfolioLive } from "@portfolio/core"
import { Effect, Layer } from "effect"
import * as Adapters from "../../src/Adapters.js"
import * as HttpConfig from "../../src/HttpConfig.js"
import * as Server from "../../src/Server.js"

const memory: Adapters.Choice = { store: { kind: "memory" }, bus: { kind: "memory" }, exchange: { kind: "paper", initialCash: 10_000 } }

/** The server with `settings` (request log off unless asked), and the service behind it. */
export const layer = (settings: Partial<HttpConfig.HttpSettings> = {}) =>
  Server.layer(HttpConfig.make({ logRequests: false, ...settings, port: 0, host: "127.0.0.1" })).pipe(
    Layer.provide(PortfolioLive.layer),
    Layer.provide(PortfolioConfig.layer()),
    Layer.provide(Adapters.layer(memory))
  )

/** The server's base URL, `http://127.0.0.1:<port>`. */
export const baseUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "unreachable"
)
