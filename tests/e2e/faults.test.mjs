// Faults in the browser, in real Chromium: cookies that do not stick or
// throw, a localStorage that throws on access or on write or holds garbage,
// a record from a future Consentry, a __tcfapi that throws, answers twice
// or never, a gtag that is missing or throws, tags that throw while being
// activated. In every case the page keeps working, nothing is approved that
// nobody approved, and the problem is reported once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openFixture, fixture, ready, SNIPPET_CONSENT_MODE } from "./harness.mjs";

let browser, site;
setup((env) => {
  browser = env.browser;
  site = `http://www.shop.site.test:${env.server.port}`;
});

// Opens a fixture in a context prepared by `init` (run before any script).
async function faulty(init, config, body = "", snippet) {
  const context = await browser.newContext();
  if (init) await context.addInitScript(init);
  const page = await openFixture(context, `${site}/fault.html`, fixture(config, body, snippet));
  await ready(page);
  return { context, page };
}

const once = (lines, text) => lines.filter((l) => l.includes(text)).length;

test("cookies that do not stick, or that throw: choices work for the page and are reported once", async () => {
  for (const init of [
    () => Object.defineProperty(Document.prototype, "cookie", { get: () => "", set: () => {}, configurable: true }),
    () => Object.defineProperty(Document.prototype, "cookie", { get() { throw new DOMException("blocked", "SecurityError"); }, set() { throw new DOMException("blocked", "SecurityError"); }, configurable: true }),
  ]) {
    const { context, page } = await faulty(init, `{ doesOptInApply: true, isOptInStorageEnabled: true }`);
    await page.evaluate(() => { consentry.approve("aa"); consentry.approve("target"); });
    assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aa"), consentry.isApproved("aam"), consentry.status]), [true, false, "complete"]);
    assert.equal(once(page.warnings, "the choice could not be stored"), 1, page.warnings.join("\n"));
    assert.deepEqual(page.errors, []);
    await context.close();
  }
});

test("a localStorage that throws on access, on write, or holds garbage approves nothing and breaks nothing", async () => {
  const config = `{ doesOptInApply: true, isOptInStorageEnabled: true, storage: "localStorage" }`;
  for (const [init, reported] of [
    [() => Object.defineProperty(window, "localStorage", { get() { throw new DOMException("denied", "SecurityError"); } }), "storage is not available"],
    [() => (Storage.prototype.setItem = () => { throw new DOMException("full", "QuotaExceededError"); }), "quota exceeded"],
    [() => (Storage.prototype.getItem = () => '{"aa":true,"consentry":{"v":1,"rev":"x"}}\u0000\ud800garbage'), "stored consent ignored"],
  ]) {
    const { context, page } = await faulty(init, config);
    assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aa"), consentry.status]), [false, "pending"]);
    await page.evaluate(() => { consentry.approve("ecid"); consentry.approve("target"); });
    assert.equal(await page.evaluate(() => consentry.isApproved("ecid")), true);
    assert.ok(once(page.warnings, reported) >= 1 && once(page.warnings, "the choice could not be stored") <= 1, page.warnings.join("\n"));
    assert.deepEqual(page.errors, []);
    await context.close();
  }
});

test("a record written by a future Consentry is ignored, not trusted", async () => {
  const context = await browser.newContext();
  await context.addCookies([
    { name: "adobeujs-optin", domain: ".site.test", path: "/", value: encodeURIComponent(JSON.stringify({ aa: true, aam: true })) },
    { name: "consentry", domain: ".site.test", path: "/", value: encodeURIComponent(JSON.stringify({ v: 3, rev: 0, time: Date.now(), id: "x" })) },
  ]);
  const page = await openFixture(context, `${site}/future.html`, fixture(`{ doesOptInApply: true, isOptInStorageEnabled: true }`));
  await ready(page);
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aa"), consentry.isApproved("aam"), consentry.status]), [false, false, "pending"]);
  assert.equal(once(page.warnings, "stored consent ignored"), 1, page.warnings.join("\n"));
  await context.close();
});

test("a __tcfapi that throws, or answers twice, or never: defaults stay or the answer applies once", async () => {
  const config = `{ doesOptInApply: true, isIabContext: true, preOptInApprovals: { ecid: true }, tcf: { timeout: 300 } }`;
  // Throws: reported, and the defaults stay after the timeout.
  let { context, page } = await faulty(() => (window.__tcfapi = () => { throw new Error("CMP broke"); }), config,
    `<script>window.answers = []; adobe.optIn.execute({ command: "iabPlugin.fetchConsentData", callback: (e) => answers.push(String(e)) });</script>`);
  await page.waitForFunction(() => answers.length === 1);
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("ecid"), consentry.isApproved("aam")]), [true, false]);
  assert.ok(page.errors.some((e) => e.includes("__tcfapi threw")), page.errors.join("\n"));
  await context.close();
  // Answers twice with a string that gives nothing to Adobe: applied, one commit.
  const tc = "CQuIxQAQuIxQAAKABBENABFgAAAAAAAAAAYgAAAA";
  ({ context, page } = await faulty((s) => {
    window.__tcfapi = (cmd, v, cb) => {
      if (cmd !== "addEventListener") return;
      const data = { gdprApplies: true, tcString: s, eventStatus: "tcloaded", listenerId: 1 };
      cb(data, true);
      cb(data, true);
    };
  }, config.replace("preOptInApprovals: { ecid: true }, ", ""), `<script>window.commits = 0; addEventListener("consentry:complete", () => commits++);</script>`));
  await page.waitForFunction(() => consentry.status === "complete");
  await page.waitForTimeout(100);
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("ecid"), window.commits]), [false, 1]);
  await context.close();
});

test("a gtag that is missing or throws: the page goes on, the problem is reported", async () => {
  const config = `{ doesOptInApply: true, consentMode: { analytics_storage: ["aa"] } }`;
  let { context, page } = await faulty(null, config,
    `<script>window.gtag = () => { throw new Error("gtag broke"); };</script>`, SNIPPET_CONSENT_MODE);
  await page.evaluate(() => consentry.approve("aa"));
  assert.equal(await page.evaluate(() => consentry.isApproved("aa")), true);
  assert.ok(page.errors.some((e) => e.includes("gtag('consent', 'update') threw")), page.errors.join("\n"));
  await context.close();
  ({ context, page } = await faulty(null, config, `<script>delete window.gtag;</script>`, SNIPPET_CONSENT_MODE));
  await page.evaluate(() => consentry.approve("aa"));
  assert.equal(await page.evaluate(() => consentry.isApproved("aa")), true);
  assert.ok(page.warnings.some((w) => w.includes("window.gtag is missing")), page.warnings.join("\n"));
  await context.close();
});

test("a tag that throws while being activated does not stop the tags after it", async () => {
  const { context, page } = await faulty(null, `{ doesOptInApply: true }`,
    `<script>window.ran = [];</script>
     <script type="text/plain" data-consent="aa">ran.push(1); throw new Error("tag broke");</script>
     <script type="text/plain" data-consent="aa" data-src="/nowhere.js"></script>
     <script type="text/plain" data-consent="aa">ran.push(3)</script>`);
  await page.evaluate(() => consentry.approve("aa"));
  await page.waitForFunction(() => ran.length === 2);
  assert.deepEqual(await page.evaluate(() => [ran, consentry.isApproved("aa")]), [[1, 3], true]);
  assert.equal(once(page.errors, "tag broke"), 1, page.errors.join("\n"));
  await context.close();
});
