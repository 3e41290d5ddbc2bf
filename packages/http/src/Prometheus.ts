/**
 * Effect `Metric`s in the Prometheus text exposition format (version 0.0.4): every metric of
 * the process's registry (`Metric.snapshot`), grouped by name under one `# HELP` and one
 * `# TYPE` line, its tags as labels.
 *
 * | Effect metric | Prometheus type | lines |
 * | --- | --- | --- |
 * | counter | `counter` | `name{labels} value` |
 * | gauge | `gauge` | `name{labels} value` |
 * | histogram | `histogram` | `name_bucket{labels,le="…"}` (cumulative, up to `le="+Inf"`), `name_sum`, `name_count` |
 * | summary | `summary` | `name{labels,quantile="…"}`, `name_sum`, `name_count` |
 * | frequency | `counter` | `name{labels,key="…"}` per occurrence |
 *
 * Names and label names are made valid (`[a-zA-Z_:][a-zA-Z0-9_:]*`, other characters `_`);
 * label values and help texts are escaped as the format says (`\\`, `\"` in label values,
 * `\n`).
 *
 * @example
 * const text = Prometheus.render(Metric.unsafeSnapshot())
 *
 * @since 0.2.0
 */
import { Effect, Metric, type MetricLabel, type MetricPair, MetricState, Option } from "effect"

/** The content type of the text format. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

/** A metric or label name made valid: other characters become `_`, a leading digit gets one before it. */
export const sanitizeName = (name: string, allowColon = true): string => {
  const valid = (allowColon ? name.replace(/[^a-zA-Z0-9_:]/g, "_") : name.replace(/[^a-zA-Z0-9_]/g, "_"))
  return valid === "" || /^[0-9]/.test(valid) ? `_${valid}` : valid
}

/** A label value escaped: backslash, double quote and line feed. */
export const escapeLabelValue = (value: string): string =>
  /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n") : value

/** A help text escaped: backslash and line feed. */
export const escapeHelp = (text: string): string => (/[\\\n]/.test(text) ? text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n") : text)

/** A sample value as the format writes it: `NaN`, `+Inf`, `-Inf`, or the number. */
export const formatValue = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Infinity) return "+Inf"
  if (value === -Infinity) return "-Inf"
  return String(value)
}

const labelSet = (tags: ReadonlyArray<MetricLabel.MetricLabel>, extra?: readonly [string, string]): string => {
  if (tags.length === 0 && extra === undefined) return ""
  let out = "{"
  let first = true
  for (const tag of tags) {
    out += `${first ? "" : ","}${sanitizeName(tag.key, false)}="${escapeLabelValue(tag.value)}"`
    first = false
  }
  if (extra !== undefined) out += `${first ? "" : ","}${extra[0]}="${extra[1]}"`
  return `${out}}`
}

interface Family {
  readonly type: "counter" | "gauge" | "histogram" | "summary"
  readonly help: string | undefined
  readonly lines: Array<string>
}

const typeOf = (state: MetricState.MetricState.Untyped): Family["type"] | undefined =>
  MetricState.isCounterState(state) || MetricState.isFrequencyState(state)
    ? "counter"
    : MetricState.isGaugeState(state)
    ? "gauge"
    : MetricState.isHistogramState(state)
    ? "histogram"
    : MetricState.isSummaryState(state)
    ? "summary"
    : undefined

const samples = (name: string, tags: ReadonlyArray<MetricLabel.MetricLabel>, state: MetricState.MetricState.Untyped, lines: Array<string>): void => {
  if (MetricState.isCounterState(state)) {
    lines.push(`${name}${labelSet(tags)} ${formatValue(state.count)}`)
  } else if (MetricState.isGaugeState(state)) {
    lines.push(`${name}${labelSet(tags)} ${formatValue(state.value)}`)
  } else if (MetricState.isHistogramState(state)) {
    let infinite = false
    for (const [le, count] of state.buckets) {
      if (le === Infinity) infinite = true
      lines.push(`${name}_bucket${labelSet(tags, ["le", formatValue(le)])} ${formatValue(count)}`)
    }
    if (!infinite) lines.push(`${name}_bucket${labelSet(tags, ["le", "+Inf"])} ${formatValue(state.count)}`)
    lines.push(`${name}_sum${labelSet(tags)} ${formatValue(state.sum)}`)
    lines.push(`${name}_count${labelSet(tags)} ${formatValue(state.count)}`)
  } else if (MetricState.isSummaryState(state)) {
    for (const [q, value] of state.quantiles) {
      if (Option.isSome(value)) lines.push(`${name}${labelSet(tags, ["quantile", formatValue(q)])} ${formatValue(value.value)}`)
    }
    lines.push(`${name}_sum${labelSet(tags)} ${formatValue(state.sum)}`)
    lines.push(`${name}_count${labelSet(tags)} ${formatValue(state.count)}`)
  } else if (MetricState.isFrequencyState(state)) {
    for (const [key, count] of state.occurrences) lines.push(`${name}${labelSet(tags, ["key", escapeLabelValue(key)])} ${formatValue(count)}`)
  }
}

/** The text of `pairs` (a `Metric.snapshot`): one family per name, families sorted by name. */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const pair of pairs) {
    const type = typeOf(pair.metricState)
    if (type === undefined) continue
    const name = sanitizeName(pair.metricKey.name)
    let family = families.get(name)
    if (family === undefined) {
      family = { type, help: Option.getOrUndefined(pair.metricKey.description), lines: [] }
      families.set(name, family)
    } else if (family.type !== type) {
      continue // one name, one type: a second kind under the same name would make the text invalid
    }
    samples(name, pair.metricKey.tags, pair.metricState, family.lines)
  }
  let out = ""
  for (const name of [...families.keys()].sort()) {
    const family = families.get(name)!
    if (family.help !== undefined) out += `# HELP ${name} ${escapeHelp(family.help)}\n`
    out += `# TYPE ${name} ${family.type}\n`
    for (const line of family.lines) out += `${line}\n`
  }
  return out
}

/** The text of every metric of the process, now. */
export const scrape: Effect.Effect<string> = Effect.map(Metric.snapshot, render)
