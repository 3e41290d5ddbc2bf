export * as PortfolioConfig from "./Config.js"
export * as DrawdownAlert from "./DrawdownAlert.js"
export * as PortfolioLive from "./PortfolioLive.js"
export * from "./PortfolioService.js"
