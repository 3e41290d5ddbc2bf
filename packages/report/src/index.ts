/**
 * `@portfolio/report`: what the CLI and the HTTP service both render from the stores —
 * exports (`Export`: CSV, JSON, NDJSON, streamed) and the performance report (`Tearsheet`
 * HTML, `Pdf`). A package of its own so that `@portfolio/cli` (which runs the service) and
 * `@portfolio/http` (which serves the same files) share it without a cycle.
 *
 * @since 0.1.0
 */
export * as Csv from "./Csv.js"
export * as Export from "./Export.js"
export * as Performance from "./Performance.js"
export * as Pdf from "./Pdf.js"
export * as Tearsheet from "./Tearsheet.js"
