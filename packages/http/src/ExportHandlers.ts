/**
 * The handlers of {@link ExportGroup}: the rows of the asked dataset streamed from the store
 * (`TradeStore`/`EquityHistory` streaming reads, paged by keyset) through `Export.encode`,
 * chunk by chunk, as the response body — memory holds one page whatever the range.
 *
 * @since 0.3.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { type EquityHistory, type TradeStore } from "@portfolio/core"
import { Export } from "@portfolio/report"
import { Effect, Stream } from "effect"
import { BadRequest } from "./ApiError.js"
import { parseTime } from "./AnalyticsHandlers.js"
import { PortfolioApi } from "./Api.js"

const encoder = new TextEncoder()

/** The export group on the stores in context. */
export const layer = HttpApiBuilder.group(PortfolioApi, "export", (handlers) =>
  Effect.gen(function*() {
    const stores = yield* Effect.context<TradeStore | EquityHistory>()
    return handlers.handle("export", ({ path, urlParams }) =>
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
