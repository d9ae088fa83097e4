// End-to-end: the script-tag build with the inline snippet and its queue,
// the ESM build, Adobe-style pages, reload persistence, revision bumps and
// cookie attributes, in real Chromium against the real demo server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setup, openFixture, fixture, ready, SNIPPET } from "./harness.mjs";

let browser, site, local;
setup((env) => {
  browser = env.browser;
  site = `http://www.shop.site.test:${env.server.port}`;
  local = `http://localhost:${env.server.port}`;
});

test("calls made before the wasm loads are queued and replayed in order", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/queue.html`, fixture(
    `{ doesOptInApply: true, isOptInStorageEnabled: true }`,
    `<script>
      window.log = [];
      var o = adobe.optIn;
      log.push("stub isApproved aa: " + o.isApproved("aa"));
      o.fetchPermissions(function (p) { log.push("one-shot aa=" + p.aa + " ecid=" + p.ecid); });
      var un = o.fetchPermissions(function () { log.push("cancelled subscriber"); }, true);
      un();
      o.fetchPermissions(function (p) { log.push("subscriber aa=" + p.aa); }, true);
      o.approve("aa", true).approve(o.Categories.ECID, true);
      o.approve("nonsense");
      o.complete();
    </script>`,
  ));
  await page.waitForFunction(() => window.consentry.status === "complete");
  const log = await page.evaluate(() => window.log);
  assert.deepEqual(log, ["stub isApproved aa: false", "subscriber aa=true", "one-shot aa=true ecid=true"]);
  assert.equal(page.errors.filter((e) => e.includes('consentry.approve: unknown category "nonsense"')).length, 1);
  assert.equal(await page.evaluate(() => window.adobe.optIn === window.consentry), true);
  // The .wasm download starts from the snippet, before its script has arrived.
  const timing = await page.evaluate(() => {
    const entry = (n) => performance.getEntriesByType("resource").find((e) => e.name.endsWith(n));
    return { wasmStart: entry("consentry_bg.wasm").startTime, glueEnd: entry("consentry_bg.js").responseEnd };
  });
  assert.ok(timing.wasmStart < timing.glueEnd, JSON.stringify(timing));
  await context.close();
});

test("isApproved answers from the committed state: staged changes stay invisible, listeners see the commit", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/approved.html`, fixture(`{ doesOptInApply: true, preOptInApprovals: { target: true } }`));
  await ready(page);
  const seen = await page.evaluate(() => {
    const c = window.consentry, out = [];
    c.on("complete", () => out.push(["listener", c.isApproved("aa"), c.isApproved(["aa", "target"])]));
    out.push(["start", c.isApproved("aa"), c.isApproved("target")]);
    c.approve("aa", true);
    out.push(["staged", c.isApproved("aa")]);
    c.complete();
    out.push(["committed", c.isApproved("aa"), c.isApproved("toString"), c.isApproved("__proto__"), c.isApproved("nope"), c.isApproved()]);
    c.deny("target");
    out.push(["denied", c.isApproved("target"), c.isApproved([])]);
    return out;
  });
  assert.deepEqual(seen, [
    ["start", false, true], ["staged", false], ["listener", true, true],
    ["committed", true, false, false, false, false], ["listener", true, false], ["denied", false, false],
  ]);
  // A wrong argument answers false, as Adobe's library does not throw here.
  assert.equal(await page.evaluate(() => consentry.isApproved(42)), false);
  await context.close();
});

test("the ESM build starts with init() and exposes the same object", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${local}/esm.html`, `<!doctype html><title>esm</title>
    <script type="module">
      import consentry, { init } from "/consentry/consentry.mjs";
      consentry.approve("target");
      await init({ doesOptInApply: true, categories: ["sms"] });
      window.result = [consentry === window.adobe.optIn, consentry.isApproved("target"), consentry.Categories.SMS, consentry.status];
      try { consentry.deny(["aa", 7]); } catch (e) { window.result.push(e instanceof Error, e.message); }
      try { await init({}); } catch (e) { window.again = e.message; }
    </script>`);
  await page.waitForFunction(() => window.again);
  assert.deepEqual(await page.evaluate(() => window.result), [
    true, true, "sms", "complete", true, 'consentry.deny: item 1 of ["aa",7] is 7; expected a category name (a string)',
  ]);
  assert.equal(await page.evaluate(() => window.again), "consentry.init: already started");
  await context.close();
});

test("a plain script tag works without the snippet, also when included twice", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/plain.html`, `<!doctype html><title>plain</title>
    <script>window.consentryConfig = { doesOptInApply: true, categories: ["sms"] };</script>
    <script src="/consentry/consentry.js"></script>
    <script src="/consentry/consentry.js"></script>
    <script>consentry.approve(["sms", "aa"], true); consentry.complete();</script>`);
  await page.waitForFunction(() => window.consentry.status === "complete");
  assert.deepEqual(await page.evaluate(() => [
    window.consentry.isApproved(["sms", "aa"]),
    window.adobe.OptInCategories === window.consentry.Categories,
    Object.isFrozen(window.consentry.Categories),
  ]), [true, true, true]);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("each configuration downloads the gate's build for its keys: the plain one, or the full one", async () => {
  const context = await browser.newContext();
  // The gate's wasm and scripts a page downloads, in order (and any page error).
  const gates = async (html, done = ready) => {
    const page = await context.newPage();
    const seen = [];
    page.on("request", (r) => /\/consentry(-full)?(_bg\.wasm|_bg\.js|\.js|\.mjs)$/.test(r.url()) && seen.push(r.url().split("/").pop()));
    page.on("pageerror", (e) => seen.push(e.message));
    await page.goto(`${site}/gates.html`);
    await page.setContent(html);
    await done(page);
    await page.close();
    return seen;
  };
  const config = (extra) => `{ doesOptInApply: true, isOptInStorageEnabled: true${extra} }`;
  // The snippet is the stub: its script, consentry_bg.js, leaves it out.
  assert.deepEqual(await gates(fixture(config(""))), ["consentry_bg.wasm", "consentry_bg.js"]);
  // The plain gate refuses a typo without saying why: the full gate's
  // module says it, downloaded for that page only.
  const refused = await context.newPage();
  await refused.goto(`${site}/gates.html`);
  const said = new Promise((r) => refused.on("console", (m) => m.text().includes("consentry.init") && r(m.text())));
  const downloads = [];
  refused.on("request", (r) => /\/consentry(-full)?(_bg\.wasm|_bg\.js|\.mjs)$/.test(r.url()) && downloads.push(r.url().split("/").pop()));
  await refused.setContent(fixture(config(", revison: 2")));
  assert.match(await said, /consentry\.init: unknown config key "revison"; did you mean "revision"\?/);
  assert.deepEqual(downloads, ["consentry_bg.wasm", "consentry_bg.js", "consentry-full.mjs", "consentry-full_bg.wasm"]);
  assert.equal(await refused.evaluate(() => consentry.isApproved("aa")), false);
  // The ESM build's init rejects with the same words.
  assert.equal(await refused.evaluate(() => import("/consentry/consentry.mjs").then(({ init }) => init({ categries: ["sms"] }, "/consentry/consentry_bg.wasm"))
    .then(() => "started", (e) => e.message)), 'consentry.init: unknown config key "categries"; did you mean "categories"?');
  await refused.close();
  assert.deepEqual(await gates(fixture(config(", tcf: null"))), ["consentry_bg.wasm", "consentry_bg.js"], "a key set to null is absent");
  // The full build reads `cookies`: an analytics cookie goes while aa is denied.
  assert.deepEqual(await gates(fixture(config(", cookies: { aa: ['_ga*'] }"), `<script>document.cookie = "_ga_X=1; path=/";</script>`), async (page) => {
    await ready(page);
    await page.waitForFunction(() => !document.cookie.includes("_ga_X"));
  }), ["consentry-full_bg.wasm", "consentry-full_bg.js"]);
  // The base snippet does not look for uet (the integrations snippet does):
  // the plain script hands over to the full one, which fetches its wasm; UET
  // gets its update.
  assert.deepEqual(await gates(fixture(config(", uet: { ad_storage: ['aam'] }")), async (page) => {
    await ready(page);
    await page.waitForFunction(() => (window.uetq || []).includes("update"));
  }), ["consentry_bg.wasm", "consentry_bg.js", "consentry-full_bg.js", "consentry-full_bg.wasm"]);
  // The same for gpp (a GPP page uses the integrations snippet, which
  // looks for it): Consentry then answers __gpp as the page's GPP CMP.
  assert.deepEqual(await gates(fixture(config(", gpp: { sections: ['usnat'] }")), async (page) => {
    await ready(page);
    await page.waitForFunction(() => new Promise((r) => (window.__gpp ? window.__gpp("ping", (p) => r(p.cmpStatus == "loaded")) : r(false))));
  }), ["consentry_bg.wasm", "consentry_bg.js", "consentry-full_bg.js", "consentry-full_bg.wasm"]);
  // Without the snippet, the same hand-over.
  assert.deepEqual(await gates(`<!doctype html><title>plain</title>
    <script>window.consentryConfig = { isOptInStorageEnabled: true, ui: { regions: { EU: "opt-in" }, region: "DE" } };</script>
    <script src="/consentry/consentry.js"></script>`), ["consentry.js", "consentry-full_bg.js", "consentry-full_bg.wasm"]);
  assert.deepEqual(await gates(`<!doctype html><title>esm</title><script type="module">
    import { init } from "/consentry/consentry.mjs";
    init({ doesOptInApply: true, tcf: { timeout: 1000 } });
  </script>`), ["consentry.mjs", "consentry-full_bg.wasm"], "the ESM build has one shell for both");
  await context.close();
});

test("an Adobe-style page: the ID service waits for ecid and starts once it is approved", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site}/adobe.html`);
  await ready(page);
  assert.deepEqual(await page.evaluate(() => window.adobeEvents), []);
  await page.click("#approve-ecid");
  assert.equal(await page.textContent("#ecid"), "approved: visitor id requested");
  await page.click("#deny-all");
  assert.equal(await page.textContent("#ecid"), "denied: visitor id no longer used");
  const events = await page.evaluate(() => window.adobeEvents);
  assert.deepEqual(events, [
    "ecid: visitor id requested",
    "complete: isComplete=true aa=true",
    "complete: isComplete=true aa=false",
  ]);
  await context.close();
});

test("the choice survives a reload on the top-most domain that takes a cookie", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site}/`);
  await ready(page);
  assert.deepEqual(await page.evaluate(() => window.demoTagsRan), ["ecid"]);
  await page.click("#stage");
  await page.click("#approve-aa");
  await page.click("#approve-sms");
  assert.equal(await page.textContent("#status"), "changed");
  assert.deepEqual(await page.evaluate(() => window.demoTagsRan), ["ecid"], "staged choices run no tag");
  assert.equal(await page.textContent("#row-aa td:nth-child(3)"), "→ approve", "the page shows what is staged");
  assert.equal(await page.textContent("#complete"), "Commit 2 staged changes");
  await page.click("#complete");
  assert.equal(await page.textContent("#row-aa td:nth-child(3)"), "");
  assert.deepEqual(await page.evaluate(() => window.demoTagsRan), ["ecid", "aa", "sms"]);
  const cookie = (await context.cookies()).find((c) => c.name === "adobeujs-optin");
  assert.equal(cookie.domain, ".site.test");
  assert.equal(cookie.path, "/");
  const lifetime = cookie.expires - Date.now() / 1000;
  assert.ok(Math.abs(lifetime - 34190000) < 120, `lifetime ${lifetime}`);
  await page.reload();
  await ready(page);
  assert.equal(await page.textContent("#status"), "complete");
  assert.deepEqual((await page.evaluate(() => window.demoTagsRan)).sort(), ["aa", "ecid", "sms"]);
  // Another host of the same site sees the same choice.
  await page.goto(`http://blog.site.test:${new URL(site).port}/`);
  await ready(page);
  assert.equal(await page.evaluate(() => window.consentry.isApproved(["aa", "sms"])), true);
  await context.close();
});

// Where Consentry decided against Adobe's behaviour (README, "Differences
// from Adobe's library"): each decision, as it stands.
test("decisions that differ from Adobe's library: the apex host's cookie domain, isPreApproved(), no cookie without storage", async () => {
  const context = await browser.newContext();
  const port = new URL(site).port;
  // On the apex host the cookies take the domain too (Adobe's is host-only).
  const apex = await openFixture(context, `http://site.test:${port}/apex.html`, fixture(`{ doesOptInApply: true, isOptInStorageEnabled: true }`));
  await ready(apex);
  await apex.evaluate(() => consentry.approve("aa"));
  const domains = (await context.cookies()).filter((c) => ["adobeujs-optin", "consentry"].includes(c.name)).map((c) => c.domain);
  assert.deepEqual(domains, [".site.test", ".site.test"]);
  // isPreApproved() asks about every category (Adobe's: every value given).
  const pre = await openFixture(context, `${site}/pre.html`, fixture(`{ doesOptInApply: true, preOptInApprovals: { aa: true } }`));
  await ready(pre);
  assert.deepEqual(await pre.evaluate(() => [consentry.isPreApproved(), consentry.isPreApproved("aa")]), [false, true]);
  // Without storage nothing is written, memoized content included.
  await context.clearCookies();
  const off = await openFixture(context, `${site}/off.html`, fixture(`{ doesOptInApply: true }`));
  await ready(off);
  await off.evaluate(() => consentry.memoizeContent({ iabConsentHash: "h" }).approve("aa"));
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await off.evaluate(() => consentry.getMemoizedContent("iabConsentHash")), "h", "kept for the page");
  await context.close();
});

test("a revision bump asks the visitor again", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site}/`);
  await ready(page);
  await page.click("#approve-aa");
  await page.goto(`${site}/?revision=1`);
  await ready(page);
  assert.equal(await page.evaluate(() => window.consentry.status), "pending");
  assert.deepEqual(await page.evaluate(() => window.demoTagsRan), ["ecid"]);
  await page.click("#approve-target");
  await page.goto(`${site}/?revision=1`);
  await ready(page);
  assert.equal(await page.evaluate(() => [window.consentry.status, window.consentry.consentRecord.revision].join()), "complete,1");
  await context.close();
});

test("cookie attributes follow the configuration", async () => {
  const context = await browser.newContext();
  const cases = [
    [`{ doesOptInApply: true, isOptInStorageEnabled: true, secureCookie: true, sameSiteCookie: "Strict" }`, { secure: true, sameSite: "Strict" }],
    [`{ doesOptInApply: true, isOptInStorageEnabled: true, optInStorageExpiry: "SESSION", sameSiteCookie: "Lax" }`, { expires: -1, sameSite: "Lax" }],
    [`{ doesOptInApply: true, isOptInStorageEnabled: true, optInStorageExpiry: 3600 }`, { lifetime: 3600 }],
  ];
  for (const [config, want] of cases) {
    await context.clearCookies();
    const page = await openFixture(context, `${local}/attrs.html`, fixture(config));
    await ready(page);
    await page.evaluate(() => window.consentry.approve("aa"));
    const c = (await context.cookies()).find((c) => c.name === "adobeujs-optin");
    assert.ok(c, `no cookie for ${config}`);
    if ("secure" in want) assert.equal(c.secure, want.secure);
    if ("sameSite" in want) assert.equal(c.sameSite, want.sameSite);
    if ("expires" in want) assert.equal(c.expires, want.expires);
    if ("lifetime" in want) assert.ok(Math.abs(c.expires - Date.now() / 1000 - want.lifetime) < 60);
    await page.close();
  }
  await context.close();
});

test("when the wasm cannot load, the stub stays and approves nothing it could not decide at parse time", async () => {
  const context = await browser.newContext();
  await context.route("**/consentry_bg.wasm", (route) => route.fulfill({ status: 404, body: "gone" }));
  // A function: only the gate calls it, so the snippet gives no answer.
  const page = await openFixture(context, `${site}/broken.html`, fixture(
    `{ doesOptInApply: () => false }`,
    `<script>window.answers = []; consentry.fetchPermissions(function () { answers.push(1); });</script>`,
  ));
  await page.waitForFunction(() => document.readyState === "complete");
  await page.waitForTimeout(300);
  assert.deepEqual(await page.evaluate(() => [window.consentry.isApproved("aa"), window.consentry.status, window.answers.length]), [false, "pending", 0]);
  const reports = page.errors.filter((e) => e.startsWith("consentry: could not start"));
  assert.equal(reports.length, 1);
  assert.match(reports[0], /consentry\.init: the wasm could not be loaded/);
  await context.close();
});

// Opens `path` with the wasm held back and reads what the snippet answered
// at parse time: the status, the permissions and the categories
// isApproved approves; then, the wasm released, what the gate answers.
async function parseTime(context, path, config) {
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await context.route("**/consentry_bg.wasm", async (route) => (await held, route.continue()));
  const state = "[consentry.status, { ...consentry.permissions }, Object.keys(consentry.permissions).filter((k) => consentry.isApproved(k))]";
  const page = await openFixture(context, `${site}${path}`, fixture(config, `<script>window.early = ${state};</script>`), "domcontentloaded");
  const early = await page.evaluate(() => window.early);
  release();
  await ready(page);
  return { early, gate: await page.evaluate(state) };
}

test("the snippet answers at parse time from a choice stored on an earlier visit, and the gate agrees once loaded", async () => {
  const config = `{ doesOptInApply: true, isOptInStorageEnabled: true, categories: ["sms"] }`;
  const context = await browser.newContext();
  const first = await openFixture(context, `${site}/visit1.html`, fixture(config));
  await ready(first);
  await first.evaluate(() => consentry.approve(["aa", "ecid", "sms"]));
  const { early, gate } = await parseTime(context, "/visit2.html", config);
  assert.equal(early[0], "complete");
  assert.deepEqual(early[2], ["aa", "ecid", "sms"]);
  assert.deepEqual(gate, early);
  await context.close();
});

test("with storage: \"localStorage\" the snippet answers a return visit at parse time from localStorage", async () => {
  const config = `{ doesOptInApply: true, isOptInStorageEnabled: true, storage: "localStorage", categories: ["analytics"], revision: 2 }`;
  const context = await browser.newContext();
  const first = await openFixture(context, `${site}/local1.html`, fixture(config));
  await ready(first);
  await first.evaluate(() => consentry.approve(["analytics", "target"]));
  assert.equal(await first.evaluate(() => document.cookie.includes("consentry=")), false, "nothing in the cookies");
  const { early, gate } = await parseTime(context, "/local2.html", config);
  assert.equal(early[0], "complete");
  assert.deepEqual(early[2], ["target", "analytics"]);
  assert.deepEqual(gate, early);
  await context.close();
});

test("on a first visit the snippet answers the defaults at parse time: preOptInApprovals, and GPC's opt-out", async () => {
  const config = `{ doesOptInApply: true, isOptInStorageEnabled: true, categories: ["analytics", "ads"], preOptInApprovals: { ecid: true, analytics: true, ads: true }, gpc: { sale: ["ads"] } }`;
  const context = await browser.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
  const { early, gate } = await parseTime(context, "/first.html", config);
  assert.equal(early[0], "pending");
  assert.deepEqual(early[2], ["ecid", "analytics"]);
  assert.deepEqual(gate, early);
  await context.close();
});

test("from a CDN: the snippet's base on another origin loads the gate, the form and TCF from there", async () => {
  const port = new URL(site).port;
  const cdn = `http://cdn.site.test:${port}/consentry/`;
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/cdn.html`, fixture("{ doesOptInApply: true }", "", SNIPPET.replace('"/consentry/"', JSON.stringify(cdn))));
  await page.evaluate(() => document.body.append(Object.assign(document.createElement("div"), { id: "f" })));
  await page.evaluate(() => consentry.renderPhoneCapture(document.getElementById("f"), {
    subscriptionGroupId: "acme-sms", endpoint: "/", programme: "Acme Alerts", countries: ["US"],
    disclosure: "Acme Alerts: recurring texts, up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
  }));
  await page.waitForSelector("#f form");
  const [tc] = JSON.parse(readFileSync("tests/fixtures/tcf.json", "utf8"));
  assert.equal(await page.evaluate((s) => consentry.decodeTCString(s).then((d) => d.cmpId), tc.tcString), tc.cmpId);
  const fromCdn = await page.evaluate((cdn) => performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.startsWith(cdn)).map((n) => n.slice(cdn.length)).sort(), cdn);
  assert.deepEqual(fromCdn, ["consentry-form-capture.css", "consentry-form-capture.mjs", "consentry-form-capture_bg.wasm", "consentry-tcstring.mjs", "consentry-tcstring_bg.wasm", "consentry_bg.js", "consentry_bg.wasm"]);
  assert.deepEqual(page.errors, []);
  await context.close();
});
