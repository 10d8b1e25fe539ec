// Drives Debian's Chromium (headless, through playwright-core) over a wsprobe
// HTML report opened from file://, and prints what it saw as one JSON object
// on stdout; tests/integration/test_html_report.py makes the assertions.
//
//   node html_report.mjs index  FILE.html FAIL_ID PASS_ID SHOT_DIR
//   node html_report.mjs first  FILE.html
//   node html_report.mjs matrix FILE.html FAIL_ID PASS_ID SHOT_DIR
//   node html_report.mjs large  FILE.html BIG_ID
//
// Every request other than file:// is recorded and aborted: the report must
// work offline and fetch nothing. Nothing here downloads a browser.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = "1";
const { chromium } = await import("playwright-core");

const CHROMIUM = process.env.WSPROBE_CHROMIUM || "/usr/bin/chromium";
const STEP_TIMEOUT = 15000;
// A full-page screenshot of a 500-case page is one long paint: on a loaded
// machine it outlasts STEP_TIMEOUT without anything being wrong.
const FULL_PAGE_TIMEOUT = 60000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

// A fresh profile directory (playwright passes it as --user-data-dir), and
// a route that records and aborts every request not on file://.
async function launch(seen) {
  const profile = mkdtempSync(join(tmpdir(), "wsprobe-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    viewport: DESKTOP,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
    ],
  });
  await browser.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file://")) return route.continue();
    seen.network.push(url);
    return route.abort();
  });
  return { browser, profile };
}

// A new page that records console errors and page errors.
async function watchedPage(browser, viewport, seen) {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on("console", (m) => {
    if (m.type() === "error") seen.console.push(m.text());
  });
  page.on("pageerror", (e) => seen.console.push(String(e)));
  return { context: page, page };
}

const caseSel = (id) => `[id="case-${id.replace(/["\\]/g, "\\$&")}"]`;

async function caseState(page, id) {
  return page.evaluate((cid) => {
    const c = document.getElementById("case-" + cid);
    if (!c) return null;
    const r = c.getBoundingClientRect();
    return {
      visible: !c.hidden && r.height > 0,
      open: c.open,
      verdict: c.querySelector(".badge")?.textContent,
      entries: c.querySelectorAll(".wire li.entry").length,
      frames: c.querySelectorAll(".wire .row.k-frame").length,
      hexdumps: c.querySelectorAll(".wire pre.hexdump").length,
      wireText: (c.querySelector(".wire")?.textContent || "").slice(0, 4000),
      inViewport: r.top >= -2 && r.top < window.innerHeight,
      // Nothing (such as the sticky filter bar) covers the case's summary.
      summaryOnTop: (() => {
        const s = c.querySelector("summary").getBoundingClientRect();
        const hit = document.elementFromPoint(s.left + s.width / 2,
          s.top + s.height / 2);
        return !!hit && c.contains(hit);
      })(),
    };
  }, id);
}

async function setOnlyVerdict(page, verdict) {
  await page.evaluate((v) => {
    for (const b of document.querySelectorAll("input[name=verdict]")) {
      if (b.checked !== (v === null || b.value === v)) b.click();
    }
  }, verdict);
}

const visibleCount = (page, sel) =>
  page.evaluate((s) => [...document.querySelectorAll(s)]
    .filter((e) => !e.hidden && e.getBoundingClientRect().height > 0).length, sel);

const overflowX = (page) => page.evaluate(
  () => document.documentElement.scrollWidth - window.innerWidth);

// What a page shows as it opens, before anyone touches it: the filter's
// boxes, the cases visible in document order, the first of them, and the
// line naming what was tested.
const openingState = (page) => page.evaluate(() => {
  const visible = [...document.querySelectorAll("details.case")]
    .filter((c) => !c.hidden && c.getBoundingClientRect().height > 0);
  const first = visible[0];
  const who = document.querySelector("header .who");
  return {
    boxes: Object.fromEntries([...document.querySelectorAll(
      "input[name=verdict]")].map((b) => [b.value, b.checked])),
    visibleVerdicts: visible.map((c) => c.getAttribute("data-v")),
    first: first ? {
      id: first.id.slice(5),
      verdict: first.getAttribute("data-v"),
      // Seen without scrolling: its summary starts inside the window.
      inFirstScreen: first.getBoundingClientRect().top < window.innerHeight,
    } : null,
    agent: who.querySelector(".agent")?.textContent ?? null,
    url: who.querySelector(".url")?.textContent ?? null,
    headerText: document.querySelector("header.top").innerText,
    shown: document.getElementById("shown").textContent,
  };
});

// Document order of the verdicts with every case shown.
const allVerdicts = (page) => page.evaluate(() => [...document.querySelectorAll(
  "details.case")].filter((c) => !c.hidden).map((c) => c.getAttribute("data-v")));

async function checkFirst(browser, file, seen) {
  const { context, page } = await watchedPage(browser, DESKTOP, seen);
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  const out = await openingState(page);
  await context.close();
  return out;
}

async function checkIndex(browser, file, failId, passId, shots, seen) {
  const url = pathToFileURL(file).href;
  const out = {};
  let { context, page } = await watchedPage(browser, DESKTOP, seen);
  await page.goto(url, { waitUntil: "load" });
  out.title = await page.title();
  out.totalCases = await page.locator("details.case").count();
  out.initiallyVisible = await visibleCount(page, "details.case");
  out.opening = await openingState(page);
  await page.screenshot({ path: join(shots, "index-opening.png") });
  out.fail = await caseState(page, failId);
  out.summaryText = await page.locator(".summary").innerText();
  out.failRfcLinks = await page.evaluate((id) => [...document.querySelectorAll(
    `[id="case-${id}"] a.rfc`)].map((a) => ({ href: a.href, text: a.textContent })),
  failId);

  // The total chip shows every case; the order stays attention-first.
  await page.locator(".chip.total").click();
  out.allShown = await allVerdicts(page);
  // Reset goes back to how the page opened.
  await page.locator("#reset").click();
  out.afterReset = await visibleCount(page, "details.case");

  await setOnlyVerdict(page, "fail");
  out.filterFail = {
    failCase: await caseState(page, failId),
    passCase: await caseState(page, passId),
    visible: await visibleCount(page, "details.case"),
    nonFailVisible: await visibleCount(page, "details.case:not([data-v=fail])"),
    shown: await page.locator("#shown").innerText(),
  };
  await setOnlyVerdict(page, null);

  await page.locator(`${caseSel(failId)} > summary`).click();
  await page.waitForSelector(`${caseSel(failId)} .wire li.entry`);
  out.afterClick = await caseState(page, failId);
  await page.screenshot({ path: join(shots, "index-desktop.png"), fullPage: true,
    timeout: FULL_PAGE_TIMEOUT });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, "index-desktop-top.png") });

  // Printing: the filters hidden, every failed case open with its wire log.
  await page.emulateMedia({ media: "print" });
  await page.evaluate(() => window.dispatchEvent(new Event("beforeprint")));
  out.print = await page.evaluate(() => {
    const fails = [...document.querySelectorAll("details.case[data-v=fail]")];
    return {
      filtersShown: getComputedStyle(document.querySelector("nav.filters")).display !== "none",
      fails: fails.length,
      failsOpen: fails.filter((c) => c.open).length,
      failsWithWire: fails.filter((c) => c.querySelector(".wire li.entry")).length,
      passOpen: document.querySelectorAll("details.case[data-v=pass][open]").length,
    };
  });
  await page.evaluate(() => window.dispatchEvent(new Event("afterprint")));
  await page.emulateMedia({ media: "screen" });
  out.afterPrintOpen = await page.locator("details.case[open]").count();
  await context.close();

  ({ context, page } = await watchedPage(browser, DESKTOP, seen));
  await page.goto(`${url}#case-${failId}`, { waitUntil: "load" });
  await page.waitForSelector(`${caseSel(failId)}[open] .wire li.entry`);
  out.viaHash = await caseState(page, failId);
  await page.screenshot({ path: join(shots, "index-hash-desktop.png") });
  await page.locator(`${caseSel(failId)}`).screenshot(
    { path: join(shots, "index-case-desktop.png") });
  await context.close();

  // A link to a case the opening filter hides (a pass) still opens it.
  ({ context, page } = await watchedPage(browser, DESKTOP, seen));
  await page.goto(`${url}#case-${passId}`, { waitUntil: "load" });
  out.passViaHash = await caseState(page, passId);
  await context.close();

  ({ context, page } = await watchedPage(browser, PHONE, seen));
  await page.goto(`${url}#case-${failId}`, { waitUntil: "load" });
  await page.waitForSelector(`${caseSel(failId)}[open] .wire li.entry`);
  out.phoneOverflowX = await overflowX(page);
  await page.screenshot({ path: join(shots, "index-phone.png") });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, "index-phone-top.png") });
  await context.close();
  return out;
}

// The links of the row of case id: per column, the href as written and as
// the browser resolves it.
const rowLinks = (page, id) => page.evaluate((cid) => {
  for (const tr of document.querySelectorAll("table.matrix tbody tr")) {
    if (tr.querySelector(".cid").textContent !== cid) continue;
    return [...tr.querySelectorAll("td")].map((td) => {
      const a = td.querySelector("a");
      return a ? { href: a.getAttribute("href"), url: a.href } : null;
    });
  }
  return null;
}, id);

// Clicks the cell of row id in column col and says where it led.
async function followCell(page, id, col) {
  const row = page.locator("table.matrix tbody tr").filter({
    has: page.locator(".cid", { hasText: new RegExp(`^${id.replace(/\./g, "\\.")}$`) }),
  });
  await Promise.all([page.waitForEvent("load"),
    row.locator("td a").nth(col).click()]);
  await page.waitForSelector(`${caseSel(id)}[open]`);
  return { location: page.url(), state: await caseState(page, id) };
}

async function checkMatrix(browser, file, failId, passId, shots, seen) {
  const { context, page } = await watchedPage(browser, DESKTOP, seen);
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  const out = {};
  out.rows = await page.locator("table.matrix tbody tr").count();
  out.columns = await page.locator("table.matrix thead th.run").count();
  out.disagreeDeclared = Number(
    await page.locator("#disagree-count").getAttribute("data-n"));
  out.failRowCells = await page.evaluate((id) => {
    for (const tr of document.querySelectorAll("table.matrix tbody tr")) {
      if (tr.querySelector(".cid").textContent === id)
        return [...tr.querySelectorAll("td")].map((td) => td.textContent);
    }
    return null;
  }, failId);
  await page.locator("#m-disagree").check();
  out.disagreeVisible = await visibleCount(page, "table.matrix tbody tr");
  out.agreeVisible = await visibleCount(page,
    "table.matrix tbody tr[data-disagree='0']");
  out.failRowVisible = await page.evaluate((id) =>
    [...document.querySelectorAll("table.matrix tbody tr")].some((tr) =>
      !tr.hidden && tr.querySelector(".cid").textContent === id), failId);
  await page.screenshot({ path: join(shots, "matrix-disagree.png"), fullPage: true,
    timeout: FULL_PAGE_TIMEOUT });
  await page.screenshot({ path: join(shots, "matrix-disagree-top.png") });
  await page.locator("#m-disagree").uncheck();
  out.allVisibleAgain = await visibleCount(page, "table.matrix tbody tr");
  out.failRowLinks = await rowLinks(page, failId);
  out.passRowLinks = await rowLinks(page, passId);
  out.runHeads = await page.evaluate(() => [...document.querySelectorAll(
    "thead th.run")].map((th) => ({
    agent: th.querySelector(".agent")?.textContent ?? null,
    url: th.querySelector(".url")?.textContent ?? null,
  })));
  // The faulty run's column: its failing case, then (from the matrix
  // again) its passing one, which that page's opening filter hides.
  out.followFail = await followCell(page, failId, 1);
  await page.goBack({ waitUntil: "load" });
  out.followPass = await followCell(page, passId, 1);
  await context.close();
  return out;
}

// A large report (every wire kept): it loads, and its biggest wire log
// renders in chunks.
async function checkLarge(browser, file, bigId, seen) {
  const { context, page } = await watchedPage(browser, DESKTOP, seen);
  const started = Date.now();
  await page.goto(`${pathToFileURL(file).href}#case-${bigId}`,
    { waitUntil: "load", timeout: 60000 });
  await page.waitForSelector(`${caseSel(bigId)}[open] .wire li.entry`);
  const out = { loadMs: Date.now() - started };
  out.big = await caseState(page, bigId);
  out.moreButtons = await page.locator(`${caseSel(bigId)} button.more`).count();
  out.totalCases = await page.locator("details.case").count();
  await context.close();
  return out;
}

const [mode, file, ...rest] = process.argv.slice(2);
const seen = { network: [], console: [] };
const { browser, profile } = await launch(seen);
let result;
try {
  if (mode === "index")
    result = await checkIndex(browser, file, rest[0], rest[1], rest[2], seen);
  else if (mode === "first")
    result = await checkFirst(browser, file, seen);
  else if (mode === "matrix")
    result = await checkMatrix(browser, file, rest[0], rest[1], rest[2], seen);
  else
    result = await checkLarge(browser, file, rest[0], seen);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify({ ...result, ...seen }) + "\n");
