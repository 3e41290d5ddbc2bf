/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF, a field quoted (`"…"`, inner
 * quotes doubled) when it holds a comma, a quote, CR or LF — or starts or ends with a space.
 * `null`/`undefined` are empty fields; numbers are written as JavaScript prints them (shortest
 * round-trip form), booleans as `true`/`false`.
 *
 * @since 0.1.0
 */

const NEEDS_QUOTES = /[",\r\n]|^ | $/

/** One field, quoted when it must be. */
export const field = (value: unknown): string => {
  if (value === null || value === undefined) return ""
  // Numbers and booleans never hold a comma, a quote or a line break: no scan.
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  const text = typeof value === "string" ? value : String(value)
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One record, CRLF-terminated. */
export const row = (values: ReadonlyArray<unknown>): string => {
  let out = ""
  for (let i = 0; i < values.length; i++) out += (i === 0 ? "" : ",") + field(values[i])
  return out + "\r\n"
}
