/**
 * The handlers of {@link ExportGroup}: the rows of the asked dataset streamed from the store
 * (`TradeStore`/`EquityHistory` streaming reads, paged by keyset) through `Export.encode`,
 * chunk by chunk, as the response body — memory holds one page whatever the range; and the
 * report of a window (`Performance.fromStores`, then `Tearsheet.html` or `Pdf.render`) in
 * the service's time zone (`PORTFOLIO_TIMEZONE`, or the `time_zone` parameter).
 *
 * @since 0.3.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Calendar, type EquityHistory, type TradeStore } from "@portfolio/core"
import { Export, Pdf, Performance, Tearsheet } from "@portfolio/report"
import { Config, Effect, Either, Stream } from "effect"
import { BadRequest, InternalError } from "./ApiError.js"
import { parseTime } from "./AnalyticsHandlers.js"
import { PortfolioApi } from "./Api.js"
import type { ReportParams } from "./ApiExport.js"

const encoder = new TextEncoder()

const periodsOf = (value: string | undefined) => {
  if (value === undefined) return Either.right(365)
  const n = /^\d{1,6}(\.\d{1,6})?$/.test(value) ? Number(value) : Number.NaN
  return n >= 1 && n <= 100_000
    ? Either.right(n)
    : Either.left(new BadRequest({ message: `query parameter periods_per_year: expected a number from 1 to 100000, got ${JSON.stringify(value)}`, details: { parameter: "periods_per_year" } }))
}

/** The export group on the stores in context. */
export const layer = HttpApiBuilder.group(PortfolioApi, "export", (handlers) =>
  Effect.gen(function*() {
    const stores = yield* Effect.context<TradeStore | EquityHistory>()
    // The service's zone, from the variable the service reads (validated at its start).
    const serviceZone = yield* Config.string("PORTFOLIO_TIMEZONE").pipe(Config.withDefault("UTC"), Effect.orElseSucceed(() => "UTC"))
    const report = (urlParams: typeof ReportParams.Type) =>
      Effect.gen(function*() {
        const timeZone = urlParams.time_zone ?? serviceZone
        if (!Calendar.isValidTimeZone(timeZone)) {
          return yield* Effect.fail(new BadRequest({ message: `query parameter time_zone: ${JSON.stringify(timeZone)} is not an IANA time zone`, details: { parameter: "time_zone" } }))
        }
        const from = yield* parseTime("from")(urlParams.from)
        const to = yield* parseTime("to")(urlParams.to)
        if (from !== undefined && to !== undefined && to <= from) {
          return yield* Effect.fail(new BadRequest({ message: "query parameter to: must be after from", details: { parameter: "to" } }))
        }
        const periodsPerYear = yield* periodsOf(urlParams.periods_per_year)
        const title = urlParams.title ?? "Portfolio performance"
        if (title.length > 200) return yield* Effect.fail(new BadRequest({ message: "query parameter title: at most 200 characters", details: { parameter: "title" } }))
        const perf = yield* Performance.fromStores({ from, to }, { timeZone, periodsPerYear }).pipe(
          Effect.provide(stores),
          Effect.catchTag("StoreError", (e) =>
            Effect.logError("report not made: the store failed").pipe(
              Effect.annotateLogs({ operation: e.operation, reason: e.reason }),
              Effect.zipRight(Effect.fail(new InternalError({ message: "the report could not be read from the store; retry later" })))
            ))
        )
        return Tearsheet.make(perf, { title, from, to, periodsPerYear, settings: [["Time zone", timeZone]] })
      })
    return handlers
      .handle("reportHtml", ({ urlParams }) =>
        Effect.map(report(urlParams), (r) => HttpServerResponse.text(Tearsheet.html(r), { contentType: "text/html; charset=utf-8" })))
      .handle("reportPdf", ({ urlParams }) =>
        Effect.flatMap(report(urlParams), (r) =>
          Effect.map(Effect.promise(() => Pdf.render(r)), (bytes) =>
            HttpServerResponse.uint8Array(bytes, {
              contentType: "application/pdf",
              headers: { "content-disposition": `inline; filename="report.pdf"` }
            }))))
      .handle("export", ({ path, urlParams }) =>
      Effect.gen(function*() {
        const [dataset, format] = Export.parseFileName(path.file)!
        const from = yield* parseTime("from")(urlParams.from)
        const to = yield* parseTime("to")(urlParams.to)
        if (from !== undefined && to !== undefined && to <= from) {
          return yield* Effect.fail(new BadRequest({ message: "query parameter to: must be after from", details: { parameter: "to" } }))
        }
        const body = Export.encode(dataset, format, Export.rows(dataset, { from, to })).pipe(
          Stream.map((text) => encoder.encode(text)),
          Stream.tapErrorCause((cause) => Effect.logError("export cut short: the store failed while streaming", cause)),
          Stream.provideContext(stores)
        )
        return HttpServerResponse.stream(body, {
          contentType: Export.contentType[format],
          headers: { "content-disposition": `attachment; filename="${path.file}"`, "cache-control": "no-store" }
        })
      }))
  }))
