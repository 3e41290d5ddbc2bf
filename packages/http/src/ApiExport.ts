/**
 * The export and report routes (DESIGN.md §6 "Export", "Report"), under `/api/portfolio`, streamed from the store
 * page by page (constant memory whatever the range; see `Export` in `@portfolio/report`):
 *
 * | method | path | parameters (optional) | answer |
 * | --- | --- | --- | --- |
 * | GET | `/export/{dataset}.{format}` — dataset `trades`, `closes`, `fills`, `equity`; format `csv`, `json`, `ndjson` | `from` (inclusive), `to` (exclusive): ISO 8601 or epoch ms | the rows, oldest first: RFC 4180 CSV with a header row (`text/csv`), one JSON array (`application/json`) or one object per line (`application/x-ndjson`) |
 *
 * | GET | `/report.html`, `/report.pdf` | `from`, `to`, `periods_per_year` (default 365), `title`, `time_zone` (default `PORTFOLIO_TIMEZONE`) | the performance report of the window: an HTML tearsheet (inline SVG, no external asset) or its PDF — statistics, equity and underwater curves, monthly returns, per-symbol figures, window and settings |
 *
 * The report is computed from the equity samples and closes of the window, streamed from the
 * store (memory bounded by the days, symbols and round trips).
 *
 * A bad parameter, or a file name not in the list, answers 400 naming it. The body is streamed: a
 * store failure after the first bytes cuts the connection (the answer is then incomplete and
 * the client sees it), never a truncated file that looks whole.
 *
 * @since 0.3.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Export } from "@portfolio/report"
import { Schema } from "effect"
import { BadRequestWire } from "./ApiError.js"
import { ApiKeyAuth } from "./ApiKey.js"

const timeParam = (what: string) =>
  Schema.optional(Schema.String.annotations({ description: `${what}: ISO 8601 (UTC unless it has an offset) or epoch milliseconds` }))

/** The file names the export route serves: `<dataset>.<format>`. */
export const ExportFile = Schema.Literal(...(Export.fileNames as ReadonlyArray<string> as [string, ...Array<string>])).annotations({
  description: "dataset (trades: round trips; closes: every close; fills; equity: samples) and format (csv, json, ndjson)"
})

/** The report's query parameters. */
export const ReportParams = Schema.Struct({
  from: timeParam("start, inclusive (default: the first sample)"),
  to: timeParam("end, exclusive (default: the last sample)"),
  periods_per_year: Schema.optional(Schema.String.annotations({ description: "annualization of daily returns (default 365)" })),
  title: Schema.optional(Schema.String.annotations({ description: "the report's title, at most 200 characters" })),
  time_zone: Schema.optional(Schema.String.annotations({ description: "IANA zone of days and months (default PORTFOLIO_TIMEZONE, else UTC)" }))
})

/** The export and report routes; see the module doc. Requires the API key when one is set. */
export class ExportGroup extends HttpApiGroup.make("export")
  .add(
    HttpApiEndpoint.get("export", "/export/:file")
      .setPath(Schema.Struct({ file: ExportFile }))
      .setUrlParams(Schema.Struct({ from: timeParam("start, inclusive"), to: timeParam("end, exclusive") }))
      .addSuccess(HttpApiSchema.Text({ contentType: "text/csv" }).annotations({
        description: "RFC 4180 CSV with a header row (text/csv); application/json (one array) for .json; application/x-ndjson (one object per line) for .ndjson"
      }))
      .addError(BadRequestWire)
      .annotate(OpenApi.Summary, "Trades, closes, fills or equity samples in a time range as CSV, JSON or NDJSON, streamed from the store")
      .annotate(
        OpenApi.Description,
        `Files: ${Export.fileNames.join(", ")}. Columns (CSV header, JSON fields): ${Export.datasets.map((d) => `${d}: ${Export.columns[d].join(", ")}`).join("; ")}. Times are epoch milliseconds. trades lists round trips (the close that ended each, with the round trip's PnL); closes every close, partial and fee records included.`
      )
  )
  .add(
    HttpApiEndpoint.get("reportHtml", "/report.html")
      .setUrlParams(ReportParams)
      .addSuccess(HttpApiSchema.Text({ contentType: "text/html" }).annotations({ description: "a self-contained HTML page" }))
      .addError(BadRequestWire)
      .annotate(OpenApi.Summary, "The performance report of a window as an HTML tearsheet")
  )
  .add(
    HttpApiEndpoint.get("reportPdf", "/report.pdf")
      .setUrlParams(ReportParams)
      .addSuccess(HttpApiSchema.Uint8Array({ contentType: "application/pdf" }).annotations({ description: "the same report as PDF (A4)" }))
      .addError(BadRequestWire)
      .annotate(OpenApi.Summary, "The performance report of a window as PDF")
  )
  .prefix("/api/portfolio")
  .middleware(ApiKeyAuth)
  .annotate(OpenApi.Title, "export") {}
