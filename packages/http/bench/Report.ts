/** The rows of the benchmark's table, printed as they come (stderr) and as markdown at the end. */
const rows: Array<readonly [string, string]> = []

/** Adds a row. */
export const row = (name: string, value: string): void => {
  rows.push([name, value])
  console.error(`  ${name}: ${value}`)
}

/** The table in markdown. */
export const table = (): string => ["| figure | value |", "| --- | --- |", ...rows.map(([n, v]) => `| ${n} | ${v} |`)].join("\n")
