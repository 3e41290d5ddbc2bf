/**
 * The report: `portfolio backtest --report` writes the HTML tearsheet (inline SVG curves,
 * monthly returns, per-symbol table, window and settings) and the PDF, which poppler renders
 * (`pdftoppm`), whose page count is known and whose text layer (`pdftotext`) holds the
 * headline figures of the run.
 */
import { describe, expect, it } from "@effect/vitest"
import { Tearsheet } from "@portfolio/report"
import { Effect } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cli, inspectPdf, session, tempDir } from "./support/Session.js"

describe("report", () => {
  it.live("backtest --report writes the tearsheet as HTML and as a PDF whose text holds the headline figures", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const file = join(dir, "s.jsonl")
      writeFileSync(file, session(45, 5).map((e) => JSON.stringify(e)).join("\n"))
      const pdf = join(dir, "report.pdf")
      const html = join(dir, "report.html")
      const run = yield* Effect.promise(() => cli(["backtest", file, "--json", "--report", pdf, "--timezone", "Europe/Paris"]))
      expect(run.stderr).toBe("")
      const result = JSON.parse(run.stdout)
      yield* Effect.promise(() => cli(["backtest", file, "--report", html, "--timezone", "Europe/Paris"]))
      const s = result.summary
      expect(s.round_trips).toBeGreaterThan(100)
      expect(s.sharpe).not.toBeNull()
      const figures = [
        Tearsheet.money(s.equity),
        Tearsheet.money(s.realized_pnl),
        Tearsheet.percent(s.win_rate),
        Tearsheet.ratio(s.profit_factor),
        Tearsheet.ratio(s.sharpe),
        Tearsheet.ratio(s.sortino),
        `${s.max_drawdown_pct.toFixed(2)} %`
      ]

      const { pages, text, rendered } = inspectPdf(pdf, dir)
      expect(pages).toBe(2)
      expect(rendered).toBe(2)
      for (const figure of figures) expect(text, figure).toContain(figure)
      for (const heading of ["Statistics", "Equity curve", "Underwater curve", "Monthly returns", "Per symbol", "Window and settings", "BTCUSDT", "Europe/Paris"]) {
        expect(text).toContain(heading)
      }

      const page = readFileSync(html, "utf8")
      expect(page).toMatch(/<svg role="img" aria-label="Equity curve"[^>]*>[\s\S]*<polyline points="[\d., -]+"/)
      expect(page).toMatch(/<svg role="img" aria-label="Underwater curve"[^>]*>[\s\S]*<polygon /)
      expect(page).not.toMatch(/<script|https?:\/\//)
      for (const figure of figures) expect(page).toContain(figure)
      // Monthly returns: the 45 days span two or three calendar months of 2025.
      expect(page).toMatch(/<td>2025<\/td>(<td>[^<]*<\/td>){13}/)
      expect((page.match(/<td>-?\d+\.\d\d %<\/td>/g) ?? []).length).toBeGreaterThan(3)
    }), 120_000)
})
