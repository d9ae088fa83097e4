// End-to-end: tag activation, cookie cleanup, Google Consent Mode, Global
// Privacy Control and IAB TCF with the IAB's own stub and CMP API
// serving TC strings @iabtechlabtcf/core encoded, in the page and from a
// parent frame through the __tcfapiLocator, in real Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setup, openFixture, fixture, ready, SNIPPET_CONSENT_MODE } from "./harness.mjs";

let browser, site;
setup((env) => {
  browser = env.browser;
  site = `http://www.shop.site.test:${env.server.port}`;
});

// The IAB's stub (the __tcfapiLocator frame and its postMessage relay), CMP
// API and core, as the demo bundles them: window.iab.CmpApi and so on.
const CMP = readFileSync("demo/vendor/iab-cmp.js", "utf8");

// Real TC strings from the fixtures: one that gives Adobe (vendor 565)
// purposes 1 and 10, one that does not.
const cases = JSON.parse(readFileSync("tests/fixtures/tcf.json", "utf8"));
const adobeOk = (c) => c.vendorConsents.includes(565) && c.purposeConsents.includes(1) && c.purposeConsents.includes(10);
const YES = cases.find(adobeOk).tcString;
const NO = cases.find((c) => !adobeOk(c)).tcString;

test("tags run once, in document order, external scripts in turn, !category and tags added later", async () => {
  const context = await browser.newContext();
  const ext = (s) => `data:text/javascript,${encodeURIComponent(s)}`;
  const page = await openFixture(context, `${site}/tags.html`, fixture(
    `{ doesOptInApply: true }`,
    `<script>window.log = [];</script>
     <script type="text/plain" data-consent="aa">log.push("aa inline 1")</script>
     <script type="text/plain" data-consent="aa" data-src="${ext('log.push("aa external 2")')}"></script>
     <script type="text/plain" data-consent="aa">log.push("aa inline 3")</script>
     <script type="text/plain" data-consent="aa target">log.push("aa+target")</script>
     <script type="text/plain" data-consent="!aa">log.push("no aa")</script>
     <script type="text/plain" data-consent="nope">log.push("never")</script>
     <img data-consent="aa" data-src="/consentry/pixel.gif" alt="">`,
  ));
  await ready(page);
  await page.waitForFunction(() => log.includes("no aa"));
  assert.deepEqual(await page.evaluate(() => log), ["no aa"]);
  await page.evaluate(() => consentry.approve("aa"));
  await page.waitForFunction(() => log.length === 4);
  // Committing again, and again, runs nothing twice.
  await page.evaluate(() => consentry.approve("aa").deny("aa").approve("aa").approve("target"));
  await page.waitForFunction(() => log.includes("aa+target"));
  await page.evaluate(() => document.body.insertAdjacentHTML("beforeend",
    `<script type="text/plain" data-consent="aa">log.push("added later")</script>`));
  await page.waitForFunction(() => log.includes("added later"));
  assert.deepEqual(await page.evaluate(() => log), ["no aa", "aa inline 1", "aa external 2", "aa inline 3", "aa+target", "added later"]);
  assert.equal(await page.evaluate(() => document.querySelector("img").getAttribute("src")), "/consentry/pixel.gif");
  assert.ok(page.warnings.some((e) => e.includes('unknown category "nope"')), page.warnings.join("\n"));
  await context.close();
});

test("cookies of categories that are not approved are deleted across domain and path variants", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/shop/cart/page.html`, fixture(
    `{ doesOptInApply: true, isOptInStorageEnabled: true, cookies: { aa: ["s_cc", "_ga*"], target: ["mbox"] } }`,
    `<script>
      document.cookie = "s_cc=1; path=/";
      document.cookie = "_ga=1; path=/; domain=site.test";
      document.cookie = "_ga_X=1; path=/shop; domain=shop.site.test";
      document.cookie = "mbox=1; path=/shop/cart";
      document.cookie = "keep=1; path=/";
    </script>`,
  ));
  await ready(page);
  await page.waitForFunction(() => !/s_cc|_ga|mbox/.test(document.cookie));
  assert.match(await page.evaluate(() => document.cookie), /keep=1/);
  // An approved category's cookies stay; withdrawing deletes them again.
  await page.evaluate(() => consentry.approve("aa"));
  await page.evaluate(() => (document.cookie = "_ga=2; path=/; domain=site.test"));
  await page.evaluate(() => consentry.approve("target"));
  assert.match(await page.evaluate(() => document.cookie), /_ga=2/);
  await page.evaluate(() => consentry.deny("aa"));
  assert.doesNotMatch(await page.evaluate(() => document.cookie), /_ga=/);
  // The deletions reach the parent domain: another host of it sees none.
  const other = await openFixture(context, `http://other.site.test:${new URL(site).port}/x.html`, "<p>x</p>");
  assert.doesNotMatch(await other.evaluate(() => document.cookie), /_ga/);
  await context.close();
});

test("Consent Mode: the snippet's default comes first, then an update at start and at every commit", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/gcm.html`, fixture(
    `{ doesOptInApply: true, consentMode: { ad_storage: ["aam"], analytics_storage: ["aa"], security_storage: true, regions: ["ES"], waitForUpdate: 800 } }`,
    `<script>window.seenAtParse = dataLayer.map((a) => Array.from(a));</script>`,
    SNIPPET_CONSENT_MODE,
  ));
  await ready(page);
  await page.evaluate(() => consentry.approve("aa"));
  const calls = await page.evaluate(() => ({ parse: seenAtParse, all: dataLayer.map((a) => Array.from(a)) }));
  const deny = { ad_storage: "denied", analytics_storage: "denied", security_storage: "granted" };
  assert.deepEqual(calls.parse, [["consent", "default", { ...deny, wait_for_update: 800, region: ["ES"] }]]);
  assert.deepEqual(calls.all.slice(1), [
    ["consent", "update", deny],
    ["consent", "update", { ...deny, analytics_storage: "granted" }],
  ]);
  await context.close();
});

test("Global Privacy Control denies sale and sharing categories; the visitor's explicit choice wins", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
  const config = `{ doesOptInApply: true, isOptInStorageEnabled: true, preOptInApprovals: { aa: true, aam: true }, gpc: { sale: ["aam"] } }`;
  const page = await openFixture(context, `${site}/gpc.html`, fixture(config));
  await ready(page);
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aa"), consentry.isApproved("aam"), consentry.isPreApproved("aam")]), [true, false, false]);
  await page.evaluate(() => consentry.approve("aam"));
  assert.equal(await page.evaluate(() => consentry.isApproved("aam")), true);
  const cookie = decodeURIComponent((await context.cookies()).find((c) => c.name === "consentry").value);
  assert.equal(JSON.parse(cookie).gpc, true);
  await context.close();
});

// A page whose CMP is the IAB's CmpApi serving `tcString`.
const cmpPage = (tcString, extra = "") => `<!doctype html><html lang="en"><head><title>cmp</title>
<script>${CMP}; window.cmp = new iab.CmpApi(10, 1, true); cmp.update(${JSON.stringify(tcString)}, false);</script>${extra}</head><body></body></html>`;

test("TCF: the CMP's TC data decides aam and ecid, later changes apply, and iabPlugin answers", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/tcf.html`, cmpPage(YES,
    `<script>window.consentryConfig = { doesOptInApply: true, isIabContext: true };</script>
     <script>${readFileSync("dist/snippet.min.js", "utf8")}</script>
     <script>window.answers = [];
       adobe.optIn.execute({ command: "iabPlugin.fetchConsentData", callback: (e, d) => answers.push([e, d]) });</script>`,
  ));
  await page.waitForFunction(() => window.consentry.status === "complete" && answers.length === 1);
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved(["aam", "ecid"]), consentry.isApproved("aa")]), [true, false]);
  const [error, data] = (await page.evaluate(() => answers))[0];
  assert.equal(error, null);
  assert.deepEqual(data, { gdprApplies: true, consentString: YES, hasConsentChangedSinceLastCmpPull: true });
  // Adobe's ID service asks about one category: execute passes
  // {...params, callback} to the plugin, as Adobe's library does.
  const ask = (category) => page.evaluate((category) => new Promise((r) => adobe.optIn.execute({ command: "iabPlugin.isApproved", params: { category }, callback: (e, v) => r([e, v]) })), category);
  assert.deepEqual([await ask("ecid"), await ask("aa"), await ask(["aam", "ecid"])], [[null, true], [null, false], [null, true]]);
  await page.evaluate((no) => cmp.update(no, false), NO);
  await page.waitForFunction(() => !consentry.isApproved("aam"));
  assert.deepEqual(await ask("ecid"), [null, false]);
  // A callback that is not a function: execute throws at once, naming it.
  assert.equal(await page.evaluate(() => { try { adobe.optIn.execute({ command: "iabPlugin.isApproved", params: { category: "aam" }, callback: 5 }); } catch (e) { return e.message; } }),
    "consentry.execute: options.callback is 5; expected a function");
  // decodeTCString gives integrators the same fields as the IAB's library.
  const decoded = await page.evaluate((s) => consentry.decodeTCString(s), YES);
  assert.ok(decoded.vendorConsents.includes(565) && decoded.cmpId > 0, JSON.stringify(decoded).slice(0, 200));
  await assert.rejects(page.evaluate(() => consentry.decodeTCString("not a tc string!")), /consentry.decodeTCString: tcString is "not a tc string!"; expected a TC string/);
  await context.close();
});

test("TCF: a CMP in the parent frame is reached through the __tcfapiLocator; gdprApplies false restricts nothing", async () => {
  const context = await browser.newContext();
  const inner = fixture(`{ doesOptInApply: true, isIabContext: true }`).replaceAll('"', "&quot;");
  const page = await openFixture(context, `${site}/parent.html`, cmpPage(YES, `</head><body><iframe srcdoc="${inner}"></iframe>`));
  const frame = () => page.frames()[1];
  await page.waitForFunction(() => document.querySelector("iframe").contentWindow.consentry?.status === "complete");
  assert.equal(await frame().evaluate(() => consentry.isApproved(["aam", "ecid"])), true);
  assert.equal(await frame().evaluate(() => typeof window.__tcfapi), "undefined");
  // gdprApplies false: nothing is approved or denied by TCF.
  const none = await openFixture(context, `${site}/none.html`, cmpPage(null,
    `<script>window.consentryConfig = { doesOptInApply: true, isIabContext: true, preOptInApprovals: { aa: true } };</script>
     <script>${readFileSync("dist/snippet.min.js", "utf8")}</script>
     <script>window.answers = []; adobe.optIn.execute({ command: "iabPlugin.fetchConsentData", callback: (e, d) => answers.push(d) });</script>`,
  ));
  await none.waitForFunction(() => window.answers.length === 1);
  assert.equal((await none.evaluate(() => answers))[0].gdprApplies, false);
  assert.deepEqual(await none.evaluate(() => [consentry.status, consentry.isApproved("aa"), consentry.isApproved("aam")]), ["pending", true, false]);
  await context.close();
});

test("TCF: without an answer in time the pre-opt-in defaults stay and iabPlugin reports it", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/silent.html`, fixture(
    `{ doesOptInApply: true, isIabContext: true, preOptInApprovals: { ecid: true }, tcf: { timeout: 200 } }`,
    `<script>window.answers = []; adobe.optIn.execute({ command: "iabPlugin.fetchConsentData", callback: (e, d) => answers.push(String(e)) });</script>`,
  ));
  await page.waitForFunction(() => window.answers.length === 1);
  assert.match((await page.evaluate(() => answers))[0], /no TC data from a CMP in time/);
  assert.deepEqual(await page.evaluate(() => [consentry.status, consentry.isApproved("ecid")]), ["pending", true]);
  assert.ok(page.errors.length === 0 || page.errors.every((e) => !e.includes("panicked")));
  await context.close();
});

test("the demo's integrations page: the CMP's choices reach the gate, the Google tag, the tags and the cookies", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(`${site}/integrations.html`);
  await ready(page);
  const state = () => page.evaluate(() => ({
    aam: consentry.isApproved("aam"), ads: googleConsentCalls.at(-1)[1].ad_storage,
    cookies: document.cookie, tags: demoTagsRan.length, shown: document.querySelector("#cookies").textContent,
  }));
  await page.waitForFunction(() => googleConsentCalls.length === 2);
  assert.deepEqual(await page.evaluate(() => googleConsentCalls.map((c) => c[0])), ["default", "update"]);
  assert.equal((await state()).aam, false);
  // Accept all in the CMP: a TC string the IAB's library encoded gives Adobe
  // (565) purposes 1 and 10, so aam is approved and its tag loads.
  await page.click("#cmp-accept");
  await page.waitForFunction(() => /demo_aam_id=/.test(document.cookie));
  let s = await state();
  assert.equal(s.aam, true);
  assert.equal(s.ads, "granted");
  await page.waitForFunction(() => document.querySelector("#tc-decoded").textContent.includes("565"));
  // Reject all: withdrawn, the Google tag hears so and the cookie goes.
  await page.click("#cmp-reject");
  await page.waitForFunction(() => !consentry.isApproved("aam"));
  s = await state();
  assert.equal(s.ads, "denied");
  assert.doesNotMatch(s.cookies, /demo_aam_id/);
  assert.doesNotMatch(s.shown, /demo_aam_id/);
  // The TC string is kept, as a CMP keeps it: after a reload it is read again.
  await page.click("#approve-aa");
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => document.querySelector("#tc-decoded").textContent.includes("vendorConsents"));
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("aam"), consentry.isApproved("aa"), /demo_aa=1/.test(document.cookie)]), [false, true, true]);
  assert.deepEqual(page.errors, []);
  await context.close();
});
