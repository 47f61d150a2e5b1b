// Loads a bunbase API docs page in headless Chromium with every origin but the
// server's cut off, then checks that every operation of the OpenAPI document
// is listed and that "try it" sends requests that get answers.
//
// Run by tests/tests/docs_page.rs:
//   node docs_page.mjs   with BUNBASE_BASE_URL, BUNBASE_DOCS_PATH,
//   PLAYWRIGHT_CORE (the package's index.mjs) and CHROMIUM (its binary).
// Prints one JSON line (`RESULT {...}`) that the Rust test reads.
import { pathToFileURL } from "node:url";

const base = process.env.BUNBASE_BASE_URL;
const docsPath = process.env.BUNBASE_DOCS_PATH || "/api/docs";
const { chromium } = await import(pathToFileURL(process.env.PLAYWRIGHT_CORE).href);
const origin = new URL(base).origin;
const host = new URL(base).hostname;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--no-first-run", "--metrics-recording-only",
    // No name resolves and no proxy is used: only the local server is reachable.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${host}`,
    "--no-proxy-server",
  ],
});
const result = { operations: [], blocked: [], errors: [], tried: {} };
try {
  const context = await browser.newContext();
  // Every request to another origin is refused and recorded.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    result.blocked.push(url);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => result.errors.push("page error: " + e.message));
  page.on("console", (m) => m.type() === "error" && result.errors.push("console: " + m.text()));
  page.on("requestfailed", (r) => result.errors.push("request failed: " + r.url()));

  await page.goto(origin + docsPath);
  await page.waitForSelector("main[data-ready=true]", { timeout: 30000 });
  result.title = await page.title();
  result.operations = await page.$$eval("details.op", (ops) => ops.map((o) => o.dataset.operationId));

  // "Try it" on the operations the Rust test names: fills path parameters,
  // sends the prefilled body, and reads the answer the page shows.
  const tries = JSON.parse(process.env.BUNBASE_TRY || "{}");
  for (const [operationId, params] of Object.entries(tries)) {
    const op = page.locator(`details.op[data-operation-id="${operationId}"]`);
    await op.locator("summary").click();
    for (const [name, value] of Object.entries(params)) {
      await op.locator(`input[name="${name}"]`).fill(value);
    }
    await op.locator("form.try button[type=submit]").click();
    const status = op.locator(".response .status");
    await status.waitFor({ timeout: 30000 });
    result.tried[operationId] = {
      status: (await status.textContent()).trim(),
      shown: await op.locator(".response").textContent(),
    };
  }
  if (process.env.BUNBASE_SCREENSHOT) {
    await page.screenshot({ path: process.env.BUNBASE_SCREENSHOT, fullPage: true });
  }
} finally {
  await browser.close();
}
console.log("RESULT " + JSON.stringify(result));
