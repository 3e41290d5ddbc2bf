/**
 * The running portfolio service as the HTTP layer sees it: queries of the current state and
 * ingestion of events.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Either, type Stream } from "effect"
import type { PublishedEvent } from "../schema/EventsOut.js"
import type { IngestResult, RejectedEvent } from "../schema/Ingest.js"
import type {
  DrawdownMetrics,
  ExposureBreakdown,
  NetPosition,
  PnLBreakdown,
  PortfolioSnapshot,
  ServiceHealth
} from "../schema/Responses.js"
import type { CashUnavailable } from "../ports/AccountBalance.js"
import type { StoreError } from "../ports/TradeStore.js"
import type { Queries as AnalyticsQueries } from "./AnalyticsQueries.js"

/** Options of an ingestion over HTTP. */
export interface IngestOptions {
  /**
   * The request's `Idempotency-Key` header: the event's processed-event id (DESIGN.md §3), so the
   * same request sent twice is one event. For a single envelope; ignored by `ingestMany` with
   * more than one.
   */
  readonly idempotencyKey?: string | undefined
}

/**
 * One valuation of the current state and every answer derived from it, shared by the queries
 * until something they depend on changes: the state (an event, a price), the cash, the equity
 * samples, the day, or `PORTFOLIO_QUERY_CACHE_MS` passing. Its answers are computed once each;
 * an HTTP layer may keep what it encodes from them under {@link View.tag}.
 */
export interface View {
  /** Unique to this view within the process's life and across restarts: an ETag's basis. */
  readonly tag: string
  /** When it was valued (epoch ms): the snapshot's `timestamp`. */
  readonly at: number
  readonly snapshot: PortfolioSnapshot
  readonly pnl: PnLBreakdown
  readonly drawdown: DrawdownMetrics
  /** Computed on first use (from the valuation only). */
  readonly exposure: () => ExposureBreakdown
  /** Computed on first use (from the valuation only). */
  readonly netPositions: () => ReadonlyArray<NetPosition>
}

/**
 * The queries and the ingestion entry of the running service.
 *
 * - the queries answer the current state, built in O(positions), never re-reading the store;
 *   they fail with `CashUnavailable` only while cash has never been read (an exchange that has
 *   not answered since start: HTTP answers 503); a stale cash is served, marked
 *   `cash_stale_since`;
 * - `ingest` takes an envelope as `POST /api/events` receives it (decoded JSON) and runs the
 *   same path as a bus delivery: validate → persist → apply → publish. An invalid event is
 *   answered `rejected` with its reason (and counted, and kept among the recent rejections);
 *   it fails only when the store fails.
 */
export interface PortfolioServiceShape {
  /** The current {@link View}: what `snapshot`, `pnl`, `exposure`, `drawdown` and `netPositions` answer from. */
  readonly view: Effect.Effect<View, CashUnavailable>
  /**
   * The current {@link View} if it is known current at `now` (epoch ms) without reading the cash
   * again (read within the last 100 ms; the state, samples and day unchanged): a plain function
   * for a hand-written fast path, which falls back to `view` on `undefined`.
   */
  readonly peekView: (now: number) => View | undefined
  readonly snapshot: Effect.Effect<PortfolioSnapshot, CashUnavailable>
  readonly pnl: Effect.Effect<PnLBreakdown, CashUnavailable>
  readonly exposure: Effect.Effect<ExposureBreakdown, CashUnavailable>
  readonly drawdown: Effect.Effect<DrawdownMetrics, CashUnavailable>
  readonly netPositions: Effect.Effect<ReadonlyArray<NetPosition>, CashUnavailable>
  readonly health: Effect.Effect<ServiceHealth>
  /** History and analytics (DESIGN.md §6 "History", "Analytics", "Trades"; §11): see `AnalyticsQueries`. */
  readonly analytics: AnalyticsQueries
  readonly rejections: Effect.Effect<ReadonlyArray<RejectedEvent>>
  readonly ingest: (envelope: unknown, options?: IngestOptions) => Effect.Effect<IngestResult, StoreError>
  /**
   * Ingests many envelopes (a JSON array posted to `/api/events`): they join the next batch
   * (group commit: concurrent callers share one store transaction) and are answered one result
   * each, in order, once their batch is durable.
   */
  readonly ingestMany: (envelopes: ReadonlyArray<unknown>, options?: IngestOptions) => Effect.Effect<ReadonlyArray<IngestResult>, StoreError>
  /**
   * `ingestMany` for a hand-written fast path (the HTTP fast lane): no fiber per call, `done` is
   * called once with the results (or the store's failure) when the envelopes' batch is durable.
   * The envelopes are ingested to the end once handed over; `done` must not throw.
   */
  readonly submit: (
    envelopes: ReadonlyArray<unknown>,
    options: IngestOptions | undefined,
    done: (results: Either.Either<ReadonlyArray<IngestResult>, StoreError>) => void
  ) => void
  /** Builds a snapshot, records an equity sample and publishes it now (what the timer does). */
  readonly publishSnapshot: Effect.Effect<void>
  /**
   * Every outgoing event as the service publishes it (whatever the bus: in-process or Redis),
   * for pushing to this process's clients (SSE, WebSocket). Each run of the stream is a new
   * subscription that sees the events published from then on; a subscriber more than 1 024
   * events behind loses the oldest, never holding the publisher up.
   */
  readonly published: Stream.Stream<PublishedEvent>
}

/** The running portfolio service: see {@link PortfolioServiceShape}. */
export class PortfolioService extends Context.Tag("@portfolio/core/PortfolioService")<PortfolioService, PortfolioServiceShape>() {}
