/**
 * The report (`Tearsheet.Report`) as a PDF, drawn with pdfkit — a pure JavaScript PDF writer
 * (no browser, no native code), maintained and released regularly, with the 14 standard PDF
 * fonts built in (so the text layer is real text a reader can search and `pdftotext` can
 * extract) and vector paths for the charts. A4, two pages for a usual report: the statistics,
 * the equity and underwater curves; then monthly returns, per-symbol figures, window and
 * settings (more pages only when the tables are long).
 *
 * @since 0.1.0
 */
import type PDFDocument from "pdfkit"
import * as Tearsheet from "./Tearsheet.js"

const MARGIN = 50
const WIDTH = 595.28 - 2 * MARGIN

type Doc = InstanceType<typeof PDFDocument>

const heading = (doc: Doc, text: string) => {
  doc.moveDown(0.8).font("Helvetica-Bold").fontSize(12).fillColor("#000").text(text, MARGIN)
  doc.moveDown(0.3).font("Helvetica").fontSize(9)
}

/** Rows of cells in fixed columns (the first left-aligned, the others right-aligned). */
const grid = (doc: Doc, head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, widths: ReadonlyArray<number>) => {
  const draw = (cells: ReadonlyArray<string>, bold: boolean) => {
    if (doc.y > 780) doc.addPage()
    const y = doc.y
    let x = MARGIN
    doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(8.5)
    cells.forEach((cell, i) => {
      const w = widths[i]!
      doc.text(cell, x, y, { width: w - 4, align: i === 0 ? "left" : "right", lineBreak: false })
      x += w
    })
    doc.y = y + 13
  }
  draw(head, true)
  for (const row of rows) draw(row, false)
  doc.x = MARGIN
}

const chart = (
  doc: Doc,
  points: ReadonlyArray<{ readonly at: number; readonly value: number }>,
  options: { readonly height: number; readonly color: string; readonly area: boolean; readonly format: (x: number) => string; readonly bounds?: { readonly min: number; readonly max: number } }
) => {
  const left = MARGIN + 55
  const width = WIDTH - 55
  const top = doc.y
  doc.rect(left, top, width, options.height).lineWidth(0.5).strokeColor("#cccccc").stroke()
  if (points.length > 0) {
    const xy = Tearsheet.scale(points, width, options.height, options.bounds)
    const values = points.map((p) => p.value)
    const min = options.bounds?.min ?? Math.min(...values)
    const max = options.bounds?.max ?? Math.max(...values)
    doc.moveTo(left + xy[0]![0], top + (options.area ? 0 : xy[0]![1]))
    if (options.area) for (const [x, y] of xy) doc.lineTo(left + x, top + y)
    else for (const [x, y] of xy.slice(1)) doc.lineTo(left + x, top + y)
    if (options.area) {
      doc.lineTo(left + xy[xy.length - 1]![0], top).closePath().fillOpacity(0.35).fillAndStroke(options.color, options.color).fillOpacity(1)
    } else {
      doc.lineWidth(1).strokeColor(options.color).stroke()
    }
    doc.fillColor("#555").font("Helvetica").fontSize(7.5)
    doc.text(options.format(max), MARGIN, top, { width: 50, align: "right", lineBreak: false })
    doc.text(options.format(min), MARGIN, top + options.height - 8, { width: 50, align: "right", lineBreak: false })
    doc.text(Tearsheet.when(points[0]!.at), left, top + options.height + 3, { lineBreak: false })
    doc.text(Tearsheet.when(points[points.length - 1]!.at), left, top + options.height + 3, { width, align: "right", lineBreak: false })
  } else {
    doc.fillColor("#777").fontSize(9).text("No samples in the window.", left + 10, top + 10)
  }
  doc.fillColor("#000")
  doc.x = MARGIN
  doc.y = top + options.height + 16
}

/** The report as PDF bytes. pdfkit (and its fonts) is loaded on the first call, not at start. */
export const render = async (report: Tearsheet.Report): Promise<Uint8Array> => {
  const { default: PDF } = await import("pdfkit")
  return new Promise((resolve, reject) => {
    const doc = new PDF({
      size: "A4",
      margin: MARGIN,
      info: { Title: report.title, Creator: "Portfolio Intelligence", CreationDate: new Date(report.generatedAt) }
    })
    const chunks: Array<Buffer> = []
    doc.on("data", (c: Buffer) => chunks.push(c))
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))))
    doc.on("error", reject)

    doc.font("Helvetica-Bold").fontSize(18).text(report.title)
    doc.font("Helvetica").fontSize(9).fillColor("#555").text(
      `Window ${Tearsheet.when(report.window.from ?? report.window.firstAt)} to ${Tearsheet.when(report.window.to ?? report.window.lastAt)} - generated ${Tearsheet.when(report.generatedAt)}`
    )
    doc.fillColor("#000")
    heading(doc, "Statistics")
    grid(doc, ["Figure", "Value"], Tearsheet.headline(report), [160, 160])

    heading(doc, "Equity curve")
    chart(doc, report.curve.map((p) => ({ at: p.at, value: p.equity })), { height: 170, color: "#1f5fbf", area: false, format: Tearsheet.money })
    heading(doc, "Underwater curve (drawdown from the running peak)")
    const under = Tearsheet.underwater(report).map((p) => ({ at: p.at, value: p.drawdown * 100 }))
    chart(doc, under, {
      height: 110,
      color: "#c0392b",
      area: true,
      format: (x) => `${x.toFixed(1)} %`,
      bounds: { min: Math.min(-0.0001, ...under.map((p) => p.value)), max: 0 }
    })

    doc.addPage()
    heading(doc, "Monthly returns")
    const months = Tearsheet.monthGrid(report.monthly)
    if (months.length === 0) doc.text("No daily closes in the window.")
    else {
      grid(
        doc,
        ["Year", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Year"],
        months.map((y) => [y.year, ...y.months.map((m) => (m === null ? "" : `${(m * 100).toFixed(1)}%`)), `${(y.total * 100).toFixed(1)}%`]),
        [34, ...Array<number>(12).fill(34), 53]
      )
    }
    heading(doc, "Per symbol")
    if (report.symbols.length === 0) doc.text("No closes in the window.")
    else {
      grid(
        doc,
        ["Symbol", "Round trips", "Won", "Lost", "Realized PnL", "Fees"],
        report.symbols.map((s) => [s.symbol, String(s.round_trips), String(s.wins), String(s.losses), Tearsheet.money(s.realized_pnl), Tearsheet.money(s.fees)]),
        [100, 70, 50, 50, 112, 113]
      )
    }
    heading(doc, "Window and settings")
    grid(doc, ["Setting", "Value"], [
      ["From", Tearsheet.when(report.window.from)],
      ["To", Tearsheet.when(report.window.to)],
      ["First sample", Tearsheet.when(report.window.firstAt)],
      ["Last sample", Tearsheet.when(report.window.lastAt)],
      ["Periods per year", String(report.summary.periods_per_year)],
      ...report.settings.map(([k, v]) => [k, v])
    ], [200, 295])
    doc.end()
  })
}
