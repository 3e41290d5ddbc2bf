/**
 * The two time-series charts (equity, underwater) on uPlot: drawn with the page's colours
 * (light or dark, read from its CSS variables), resized with their box, redrawn with new data.
 *
 * @since 0.2.0
 */
import uPlot from "uplot"
import type { Point } from "./model.js"

/** A chart on the page that takes a whole curve at a time. */
export interface Chart {
  readonly set: (points: ReadonlyArray<Point>) => void
}

const cssVar = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim()

/** A line chart of `label` in `element`; `fill` shades the area under it (the underwater curve). */
export const lineChart = (element: HTMLElement, label: string, options: { readonly fill?: boolean; readonly unit?: string } = {}): Chart => {
  const stroke = options.fill === true ? cssVar("--down") : cssVar("--accent")
  const axis = { stroke: cssVar("--muted"), grid: { stroke: cssVar("--line"), width: 1 }, ticks: { stroke: cssVar("--line") } }
  const plot = new uPlot(
    {
      width: Math.max(element.clientWidth, 200),
      height: element.clientHeight || 200,
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: true },
        // A flat curve still gets a readable band; the underwater curve's top is 0.
        y: {
          range: (_u: uPlot, min: number, max: number): [number, number] => {
            const span = max - min
            const pad = span > 1e-9 ? span * 0.1 : Math.max(Math.abs(max) * 0.01, 1)
            return options.fill === true ? [Math.min(min - pad, -1), 0] : [min - pad, max + pad]
          }
        }
      },
      series: [
        {},
        {
          label,
          stroke,
          width: 1.5,
          ...(options.fill === true ? { fill: cssVar("--under") } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? "—" : `${v.toFixed(2)}${options.unit ?? ""}`)
        }
      ],
      axes: [axis, { ...axis, size: 70 }]
    },
    [[], []],
    element
  )
  new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 200), height: element.clientHeight || 200 })).observe(element)
  return {
    set: (points) => plot.setData([points.map((p) => p.t), points.map((p) => p.v)])
  }
}
