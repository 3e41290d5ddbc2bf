/**
 * A strict reader of the Prometheus text exposition format (0.0.4), written from the format's
 * description, for tests: every line must be a `# HELP`, a `# TYPE`, or a sample
 * `name{label="value",…} number`; label values are unescaped (`\\`, `\"`, `\n`). Anything
 * else throws, naming the line.
 */

/** One sample line. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** A whole exposition. */
export interface Exposition {
  readonly help: ReadonlyMap<string, string>
  readonly type: ReadonlyMap<string, string>
  readonly samples: ReadonlyArray<Sample>
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/

const number = (text: string, line: string): number => {
  if (text === "+Inf") return Infinity
  if (text === "-Inf") return -Infinity
  if (text === "NaN") return NaN
  const n = Number(text)
  if (text === "" || Number.isNaN(n)) throw new Error(`not a number ${JSON.stringify(text)} in ${JSON.stringify(line)}`)
  return n
}

const unescapeHelp = (text: string) => text.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"))

/** Reads `text`; throws on the first line that is not valid. */
export const parse = (text: string): Exposition => {
  const help = new Map<string, string>()
  const type = new Map<string, string>()
  const samples: Array<Sample> = []
  if (text !== "" && !text.endsWith("\n")) throw new Error("the text does not end with a line feed")
  for (const line of text.split("\n")) {
    if (line === "") continue
    if (line.startsWith("# HELP ")) {
      const rest = line.slice(7)
      const name = NAME.exec(rest)?.[0]
      if (name === undefined || rest[name.length] !== " ") throw new Error(`bad HELP line ${JSON.stringify(line)}`)
      help.set(name, unescapeHelp(rest.slice(name.length + 1)))
      continue
    }
    if (line.startsWith("# TYPE ")) {
      const [name, kind, ...more] = line.slice(7).split(" ")
      if (name === undefined || !NAME.test(name) || more.length > 0 || !["counter", "gauge", "histogram", "summary", "untyped"].includes(kind ?? "")) {
        throw new Error(`bad TYPE line ${JSON.stringify(line)}`)
      }
      if (type.has(name)) throw new Error(`a second TYPE line for ${name}`)
      type.set(name, kind!)
      continue
    }
    if (line.startsWith("#")) continue
    const name = NAME.exec(line)?.[0]
    if (name === undefined) throw new Error(`bad sample line ${JSON.stringify(line)}`)
    let i = name.length
    const labels: Record<string, string> = {}
    if (line[i] === "{") {
      i++
      while (line[i] !== "}") {
        const key = LABEL.exec(line.slice(i))?.[0]
        if (key === undefined || line[i + key.length] !== "=" || line[i + key.length + 1] !== "\"") {
          throw new Error(`bad label at ${i} in ${JSON.stringify(line)}`)
        }
        i += key.length + 2
        let value = ""
        for (;;) {
          const c = line[i]
          if (c === undefined) throw new Error(`unterminated label value in ${JSON.stringify(line)}`)
          if (c === "\"") break
          if (c === "\\") {
            const e = line[i + 1]
            if (e === "\\") value += "\\"
            else if (e === "\"") value += "\""
            else if (e === "n") value += "\n"
            else throw new Error(`bad escape \\${e} in ${JSON.stringify(line)}`)
            i += 2
          } else {
            value += c
            i++
          }
        }
        i++
        if (key in labels) throw new Error(`label ${key} twice in ${JSON.stringify(line)}`)
        labels[key] = value
        if (line[i] === ",") i++
        else if (line[i] !== "}") throw new Error(`expected , or } at ${i} in ${JSON.stringify(line)}`)
      }
      i++
    }
    if (line[i] !== " ") throw new Error(`expected a space before the value in ${JSON.stringify(line)}`)
    const [value, timestamp, ...more] = line.slice(i + 1).split(" ")
    if (more.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`bad value in ${JSON.stringify(line)}`)
    samples.push({ name, labels, value: number(value ?? "", line) })
  }
  return { help, type, samples }
}

/** The samples named `name` whose labels include `labels`. */
export const find = (e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): ReadonlyArray<Sample> =>
  e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))

/** The one sample named `name` with exactly `labels` (throws when there is none or several). */
export const value = (e: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number => {
  const found = e.samples.filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length !== 1) throw new Error(`${found.length} samples ${name}${JSON.stringify(labels)}`)
  return found[0]!.value
}

/**
 * Checks every histogram family: per series, buckets cumulative (non-decreasing in `le`), a
 * `+Inf` bucket equal to `_count`, and a `_sum`. Returns the number of series checked.
 */
export const checkHistograms = (e: Exposition): number => {
  let series = 0
  for (const [name, kind] of e.type) {
    if (kind !== "histogram") continue
    const groups = new Map<string, Array<Sample>>()
    for (const s of e.samples) {
      if (s.name !== `${name}_bucket`) continue
      const { le: _le, ...rest } = s.labels
      const key = JSON.stringify(Object.entries(rest).sort())
      groups.set(key, [...(groups.get(key) ?? []), s])
    }
    for (const [key, buckets] of groups) {
      const labels = Object.fromEntries(JSON.parse(key) as Array<[string, string]>)
      const les = buckets.map((b) => number(b.labels["le"]!, name))
      for (let i = 1; i < buckets.length; i++) {
        if (!(les[i]! > les[i - 1]!)) throw new Error(`${name}${key}: le not increasing`)
        if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${name}${key}: buckets not cumulative`)
      }
      if (les[les.length - 1] !== Infinity) throw new Error(`${name}${key}: no +Inf bucket`)
      if (value(e, `${name}_count`, labels) !== buckets[buckets.length - 1]!.value) throw new Error(`${name}${key}: +Inf bucket is not _count`)
      value(e, `${name}_sum`, labels)
      series++
    }
  }
  return series
}
