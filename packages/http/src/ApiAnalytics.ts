/**
 * The history and analytics routes (DESIGN.md §6 "History", "Analytics", "Trades"; §11), under
 * `/api/portfolio`, answered from `PortfolioService.analytics`:
 *
 * | method | path | parameters (all optional) | answer |
 * | --- | --- | --- | --- |
 * | GET | `/equity` | `from`, `to` (ISO 8601 or epoch ms), `resolution` (`10s`, `1m`, `15m`, `1h`, `1d`, … or ms) | `EquityCurve`: OHLC buckets, ≤ 2 000 |
 * | GET | `/drawdown/history` | `window` (`30d`, `90d`, `1y`, `all`; default `all`), `worst` (1–100, default 5) | `DrawdownHistory` |
 * | GET | `/analytics` | `window`, `periods_per_year` (default 365) | `Analytics` |
 * | GET | `/performance` | `window` | `Performance`: per symbol and per sector |
 * | GET | `/periods` | `unit` (`day`, `week`, `month`; default `day`), `count` (1–1 000, default 30) | `Periods` |
 * | GET | `/heatmap` | `by` (`weekday_hour`, `symbol_month`; default `weekday_hour`), `window` | `Heatmap` |
 * | GET | `/risk-buckets` | — | `RiskBuckets` |
 * | GET | `/correlation` | `window` | `Correlation`: Pearson correlation of daily returns per symbol and per sector |
 * | GET | `/trades` | `status` (`open`, `closed`; default `closed`), `from`, `to`, `symbol`, `limit` (1–1 000, default 100), `cursor` | `TradesPage` |
 *
 * A bad parameter answers 400 `bad_request` naming it (`details.parameter`).
 *
 * @since 0.3.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import {
  AnalyticsResponse,
  CorrelationResponse,
  DrawdownHistoryResponse,
  EquityCurveResponse,
  HeatmapResponse,
  PerformanceResponse,
  PeriodsResponse,
  RiskBucketsResponse,
  TradesPage
} from "@portfolio/core"
import { Schema } from "effect"
import { BadRequestWire, CashUnavailableWire, InternalErrorWire } from "./ApiError.js"
import { ApiKeyAuth } from "./ApiKey.js"

const param = (description: string) => Schema.optional(Schema.String.annotations({ description }))
const windowParam = param("look-back window: 30d, 90d, 1y or all (default all)")
const timeParam = (what: string) => param(`${what}: ISO 8601 (UTC unless it has an offset) or epoch milliseconds`)

/** The history and analytics routes; see the module doc. Requires the API key when one is set. */
export class AnalyticsGroup extends HttpApiGroup.make("analytics")
  .add(
    HttpApiEndpoint.get("equity", "/equity")
      .setUrlParams(Schema.Struct({
        from: timeParam("start, inclusive (default: the first sample)"),
        to: timeParam("end, exclusive (default: now)"),
        resolution: param("least bucket size: 10s, 1m, 5m, 15m, 30m, 1h, 4h, 1d, … or milliseconds; coarsened to keep ≤ 2 000 buckets")
      }))
      .addSuccess(EquityCurveResponse)
      .annotate(OpenApi.Summary, "The mark-to-market equity curve: open/high/low/close equity per bucket, at most 2 000 buckets")
  )
  .add(
    HttpApiEndpoint.get("drawdownHistory", "/drawdown/history")
      .setUrlParams(Schema.Struct({ window: windowParam, worst: param("how many of the deepest drawdowns to list, 1 to 100 (default 5)") }))
      .addSuccess(DrawdownHistoryResponse)
      .annotate(OpenApi.Summary, "The underwater curve and the deepest drawdowns (peak, trough, recovery, depth, length); the window's first equity is its first peak")
  )
  .add(
    HttpApiEndpoint.get("analytics", "/analytics")
      .setUrlParams(Schema.Struct({ window: windowParam, periods_per_year: param("annualization of daily returns (default 365: crypto trades every day)") }))
      .addSuccess(AnalyticsResponse)
      .annotate(OpenApi.Summary, "Returns, volatility, Sharpe, Sortino, Calmar and max drawdown of the daily closes; expectancy, payoff ratio, Kelly fraction and streaks of the round trips")
  )
  .add(
    HttpApiEndpoint.get("performance", "/performance")
      .setUrlParams(Schema.Struct({ window: windowParam }))
      .addSuccess(PerformanceResponse)
      .annotate(OpenApi.Summary, "Realized PnL, round trips and win rate per symbol and per sector")
  )
  .add(
    HttpApiEndpoint.get("periods", "/periods")
      .setUrlParams(Schema.Struct({
        unit: param("day, week (from Monday) or month, in PORTFOLIO_TIMEZONE (default day)"),
        count: param("how many of the latest periods, 1 to 1 000 (default 30)")
      }))
      .addSuccess(PeriodsResponse)
      .annotate(OpenApi.Summary, "Realized PnL, round trips and win rate per day, week or month (as Freqtrade's /daily, /weekly, /monthly)")
  )
  .add(
    HttpApiEndpoint.get("heatmap", "/heatmap")
      .setUrlParams(Schema.Struct({ by: param("weekday_hour or symbol_month (default weekday_hour)"), window: windowParam }))
      .addSuccess(HeatmapResponse)
      .annotate(OpenApi.Summary, "Realized PnL per local weekday × hour, or per symbol × month")
  )
  .add(
    HttpApiEndpoint.get("riskBuckets", "/risk-buckets")
      .addSuccess(RiskBucketsResponse)
      .annotate(OpenApi.Summary, "Exposure, share of equity, unrealized and realized PnL per risk bucket (CORE, EXPANSION, MONITORING, TOXIC)")
  )
  .add(
    HttpApiEndpoint.get("correlation", "/correlation")
      .setUrlParams(Schema.Struct({ window: windowParam }))
      .addSuccess(CorrelationResponse)
      .annotate(OpenApi.Summary, "Pearson correlation of daily returns (UTC days, from each symbol's last price of the day) per symbol and per sector")
  )
  .add(
    HttpApiEndpoint.get("trades", "/trades")
      .setUrlParams(Schema.Struct({
        status: param("open or closed (default closed)"),
        from: timeParam("closes at or after"),
        to: timeParam("closes before"),
        symbol: param("only this symbol"),
        limit: param("page size, 1 to 1 000 (default 100)"),
        cursor: param("next_cursor of the previous page")
      }))
      .addSuccess(TradesPage)
      .annotate(OpenApi.Summary, "Open trades, or the closes (oldest first) one page at a time")
  )
  .addError(BadRequestWire)
  .addError(CashUnavailableWire)
  .addError(InternalErrorWire)
  .prefix("/api/portfolio")
  .middleware(ApiKeyAuth)
  .annotate(OpenApi.Title, "analytics") {}
