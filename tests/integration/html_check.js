// Open an HTML report in Debian's chromium (headless, driven by
// playwright-core), fail on any console error or page error, check that
// every chart drew something (non-blank canvas pixels, read back), and
// save a full-page screenshot. Prints a JSON summary.
// Usage: node html_check.js NODE_MODULES_DIR REPORT.html SCREENSHOT.png
"use strict";
const path = require("path");
const {chromium} = require(path.join(process.argv[2], "playwright-core"));
const file = path.resolve(process.argv[3]);
const shot = process.argv[4];

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({viewport: {width: 1280, height: 900}});
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  // Self-contained: any request but the file itself is a fault.
  page.on("request", (r) => { if (r.url() !== "file://" + file) problems.push(`network request: ${r.url()}`); });
  await page.goto("file://" + file, {waitUntil: "load", timeout: 30000});
  await page.waitForFunction(() => document.body.dataset.charts !== undefined, null, {timeout: 30000});
  const result = await page.evaluate(() => {
    const boxes = Array.from(document.querySelectorAll(".chart"));
    const charts = boxes.map((b) => {
      const c = b.querySelector("canvas");
      let inked = 0;
      if (c && c.width && c.height) {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) inked++;
      }
      return {title: b.querySelector(".title").textContent, drawn: b.dataset.drawn === "1",
              canvas: !!c, inked};
    });
    const text = (id) => { const e = document.getElementById(id); return e ? e.textContent : null; };
    return {declared: Number(document.body.dataset.charts), charts,
            verdict: text("verdict"), caveats: text("caveats"),
            workers: text("workers"), events: text("events"), entries: text("entries"),
            thresholds: text("thresholds"),
            cards: (document.querySelector(".cards") || {}).textContent || null};
  });
  await page.screenshot({path: shot, fullPage: true});
  await browser.close();
  result.problems = problems;
  process.stdout.write(JSON.stringify(result));
})().catch((e) => { console.error(e.stack || String(e)); process.exit(2); });
