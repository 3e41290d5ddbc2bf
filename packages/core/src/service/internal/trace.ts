/**
 * The trace of an event in the logs: every line written while an event is handled — rejected,
 * committed or not, dead-lettered, and what it caused to be published — carries the event's
 * `trace_id` and `correlation_id` (the non-empty ones) as log annotations, so that one grep of
 * a trace id finds the event's whole path through the service (and, in the published events'
 * envelopes, beyond it).
 */
import { Effect } from "effect"

/** Log annotations: `trace_id`, `correlation_id`, or `trace_ids` for several events. */
export type Annotations = Readonly<Record<string, string>>

const NONE: Annotations = {}

/** Most trace ids listed on one line about several events. */
const MAX_LISTED = 20

/** The annotations of one decoded event. */
export const ofEvent = (event: { readonly traceId: string; readonly correlationId?: string | undefined }): Annotations => {
  const { traceId, correlationId } = event
  if (traceId === "" && (correlationId === undefined || correlationId === "")) return NONE
  return correlationId === undefined || correlationId === ""
    ? { trace_id: traceId }
    : traceId === ""
    ? { correlation_id: correlationId }
    : { trace_id: traceId, correlation_id: correlationId }
}

/** The annotations of an envelope not (or not yet) decoded: its `trace_id` and `correlation_id` fields when they are strings. */
export const ofRaw = (raw: unknown): Annotations => {
  if (typeof raw !== "object" || raw === null) return NONE
  const { trace_id, correlation_id } = raw as { readonly trace_id?: unknown; readonly correlation_id?: unknown }
  return ofEvent({
    traceId: typeof trace_id === "string" ? trace_id : "",
    correlationId: typeof correlation_id === "string" ? correlation_id : undefined
  })
}

/**
 * The annotations of a line about several events: those of the event when there is one (or
 * all share one trace), else `trace_ids` — the distinct trace ids, at most 20, then `…`.
 */
export const ofEvents = (events: ReadonlyArray<{ readonly traceId: string; readonly correlationId?: string | undefined }>): Annotations => {
  if (events.length === 1) return ofEvent(events[0]!)
  const ids = new Set<string>()
  for (const e of events) if (e.traceId !== "") ids.add(e.traceId)
  if (ids.size === 0) return NONE
  if (ids.size === 1) return ofEvent(events.find((e) => e.traceId !== "")!)
  const listed = [...ids].slice(0, MAX_LISTED).join(",")
  return { trace_ids: ids.size > MAX_LISTED ? `${listed},…` : listed }
}

/** `effect` with its log lines annotated by `annotations` (nothing done when there are none). */
export const annotate = (annotations: Annotations) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  annotations === NONE || Object.keys(annotations).length === 0 ? effect : Effect.annotateLogs(effect, annotations)
