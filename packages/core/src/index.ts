/**
 * `@portfolio/core`: the pure accounting core (positions, PnL windows, exposure, drawdown),
 * the wire schemas, the ports, the service program and the in-memory adapters.
 *
 * @since 0.1.0
 */
export * from "./domain/index.js"
export * from "./schema/index.js"
export * from "./ports/index.js"
export * from "./service/index.js"
export * from "./memory/index.js"
