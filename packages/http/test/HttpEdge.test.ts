/**
 * The edge's decisions that need no server: which origins CORS allows, and which methods each
 * path has (how 405 is told from 404).
 */
import { describe, expect, it } from "@effect/vitest"
import { PortfolioApi } from "../src/Api.js"
import * as HttpEdge from "../src/HttpEdge.js"

describe("HttpEdge", () => {
  it("allows no origin by default, any with *, the listed ones otherwise", () => {
    expect(HttpEdge.corsPolicy([])("https://a.example")).toBeUndefined()
    expect(HttpEdge.corsPolicy(["*"])("https://a.example")).toBe("*")
    expect(HttpEdge.corsPolicy(["*"])(undefined)).toBeUndefined()
    const listed = HttpEdge.corsPolicy(["https://a.example", "http://localhost:3000"])
    expect(listed("https://a.example")).toBe("https://a.example")
    expect(listed("HTTPS://A.EXAMPLE")).toBe("HTTPS://A.EXAMPLE")
    expect(listed("http://localhost:3000")).toBe("http://localhost:3000")
    expect(listed("https://b.example")).toBeUndefined()
    expect(listed("http://localhost:3001")).toBeUndefined()
  })

  it("knows the methods of every path of the API, and of the extra routes", () => {
    const routes = HttpEdge.routesOf(PortfolioApi, { "/docs": ["GET"] })
    expect(routes.get("/health")).toEqual(["GET"])
    expect(routes.get("/api/events")).toEqual(["POST"])
    expect(routes.get("/api/events/rejected")).toEqual(["GET"])
    expect(routes.get("/api/portfolio/snapshot")).toEqual(["GET"])
    expect(routes.get("/docs")).toEqual(["GET"])
    expect(routes.has("/api/portfolio")).toBe(false)
  })
})
