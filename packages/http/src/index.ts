/**
 * `@portfolio/http`: the Portfolio Intelligence HTTP service — the API definition and its
 * implementation, the edge (CORS, errors, request log), the configuration, the choice of
 * adapters and the process that runs it all (`main.ts`).
 *
 * @since 0.1.0
 */
export * as Adapters from "./Adapters.js"
export * as Api from "./Api.js"
export * as ApiError from "./ApiError.js"
export * as ApiHandlers from "./ApiHandlers.js"
export * as ApiKey from "./ApiKey.js"
export * as EventBatch from "./EventBatch.js"
export * as HttpConfig from "./HttpConfig.js"
export * as HttpEdge from "./HttpEdge.js"
export * as Logging from "./Logging.js"
export * as Program from "./Program.js"
export * as RequestBody from "./RequestBody.js"
export * as Server from "./Server.js"
