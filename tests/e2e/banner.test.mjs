// The banner and preference centre in Chromium, on the demo's /banner.html
// (a shop page with gated tags) and on fixtures: first visit, each button,
// a return visit that never fetches the module, a revision bump, the
// region rules (opt-out with GPC, unknown region, the relay's /region),
// keyboard-only use, a strict CSP, axe-core, languages and receipts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { setup, openFixture, fixture, ready, ledger, SNIPPET } from "./harness.mjs";

const env = setup();
const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const site = () => `http://127.0.0.1:${env.server.port}`;

// A page of the demo with every request it makes recorded.
async function visit(context, query) {
  const page = await context.newPage();
  page.requests = [];
  page.errors = [];
  page.on("request", (r) => page.requests.push(r.url()));
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("console", (m) => ["error", "warning"].includes(m.type()) && page.errors.push(m.text()));
  await page.goto(`${site()}/banner.html${query}`);
  await ready(page);
  return page;
}

const fetchedUi = (page) => page.requests.some((u) => /consentry-ui[^/]*\.mjs$/.test(u));
const tagsRan = (page) => page.evaluate(() => (window.demoTagsRan || []).slice().sort());
const cookieNames = async (context) => (await context.cookies()).map((c) => c.name);
const banner = (page) => page.waitForSelector("section.consentry-ui", { state: "visible" });

test("first visit in the EU: the banner asks and nothing but the necessary runs; Accept all runs the tags; a reload shows nothing and fetches no module", async () => {
  const context = await env.browser.newContext();
  const page = await visit(context, "?region=DE");
  const b = await banner(page);
  assert.equal(await b.getAttribute("aria-labelledby"), "consentry-ui-title");
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains("consentry-ui")), true, "focus moved into the banner");
  assert.deepEqual(await tagsRan(page), []);
  assert.deepEqual(await page.evaluate(() => consentry.permissions), { aam: false, adcloud: false, aa: false, campaign: false, ecid: false, livefyre: false, target: false, mediaaa: false, necessary: true, analytics: false, marketing: false });
  assert.equal((await cookieNames(context)).filter((n) => n.startsWith("demo_")).length, 0, "no tag set a cookie");
  // Refusing is as easy as accepting: the same style, side by side.
  const looks = await page.$$eval("[data-b=accept], [data-b=reject]", (bs) => bs.map((b) => { const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.fontWeight, s.height, s.width]; }));
  assert.deepEqual(looks[0], looks[1]);
  // The page's own `button:hover` (demo.css has one) does not leak in.
  await page.hover("[data-b=reject]");
  const hovered = await page.$$eval("[data-b=accept], [data-b=reject]", (bs) => bs.map((b) => getComputedStyle(b).backgroundColor));
  assert.equal(hovered[1], hovered[0], "a hovered button keeps its colour");
  await page.click("[data-b=accept]");
  await page.waitForFunction(() => (window.demoTagsRan || []).length == 2);
  assert.equal(await page.$("section.consentry-ui"), null, "the banner is gone");
  assert.equal(await page.evaluate(() => consentry.status), "complete");
  assert.equal(await page.evaluate(() => document.querySelector(".consentry-ui-status").textContent), "Your choices have been saved.");
  const again = await visit(context, "?region=DE");
  await again.waitForFunction(() => (window.demoTagsRan || []).length == 2);
  assert.equal(await again.$(".consentry-ui"), null);
  assert.equal(fetchedUi(again), false, "a returning visitor's page never downloads the banner");
  const gates = again.requests.filter((u) => u.endsWith("_bg.wasm")).map((u) => u.split("/").pop());
  assert.deepEqual(gates, ["consentry-full_bg.wasm"], "a configuration with ui loads the gate's full build, and only it");
  assert.deepEqual(page.errors.concat(again.errors), []);
  await context.close();
});

test("Reject all keeps only the necessary, also after a reload; a revision bump asks again", async () => {
  const context = await env.browser.newContext();
  const page = await visit(context, "?region=FR");
  await (await banner(page)).$("[data-b=reject]").then((b) => b.click());
  await page.waitForFunction(() => consentry.status == "complete");
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("necessary"), consentry.isApproved("analytics"), consentry.isApproved("marketing")]), [true, false, false]);
  const again = await visit(context, "?region=FR");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await again.$(".consentry-ui"), null);
  assert.equal(fetchedUi(again), false);
  assert.deepEqual(await tagsRan(again), []);
  const bumped = await visit(context, "?region=FR&revision=1");
  await banner(bumped);
  await context.close();
});

test("Customise: nothing pre-ticked but the necessary (locked); Save commits the switches; Escape leaves without deciding", async () => {
  const context = await env.browser.newContext();
  const page = await visit(context, "?region=DE&lang=de");
  await (await banner(page)).$("[data-b=customise]").then((b) => b.click());
  const centre = await page.waitForSelector("dialog.consentry-ui[open]");
  assert.equal(await page.evaluate(() => document.querySelector("#consentry-ui-title").textContent), "Datenschutzeinstellungen");
  const switches = await centre.$$eval("input[role=switch]", (s) => s.map((i) => [i.name, i.checked, i.disabled]));
  assert.deepEqual(switches, [["necessary", true, true], ["analytics", false, false], ["marketing", false, false]]);
  assert.match(await centre.textContent(), /Matomo/, "the services");
  assert.match(await centre.textContent(), /demo_analytics\*/, "the cookies key's names");
  await page.keyboard.press("Escape");
  await banner(page);
  assert.equal(await page.evaluate(() => consentry.status), "pending", "Escape decided nothing");
  await page.click("[data-b=customise]");
  await page.check("#consentry-ui-analytics");
  await page.click("[data-b=save]");
  await page.waitForFunction(() => (window.demoTagsRan || []).includes("analytics"));
  assert.deepEqual(await page.evaluate(() => [consentry.isApproved("analytics"), consentry.isApproved("marketing")]), [true, false]);
  // The footer link opens the preferences again, showing the choice.
  await page.click(".when-not-opt-out");
  const reopened = await page.waitForSelector("dialog.consentry-ui[open]");
  assert.deepEqual(await reopened.$$eval("input[role=switch]", (s) => s.map((i) => i.checked)), [true, true, false]);
  assert.deepEqual(page.requests.filter((u) => /consentry-ui-\w+\.mjs$/.test(u)).map((u) => u.split("/").pop()), ["consentry-ui-de.mjs"], "one language fetched: the page's");
  await context.close();
});

test("US-CA: opted in with a Do-not-sell link and no banner; with GPC opted out from the start", async () => {
  const context = await env.browser.newContext();
  const page = await visit(context, "?region=US-CA");
  await page.waitForFunction(() => (window.demoTagsRan || []).length == 2);
  assert.equal(await page.evaluate(() => document.documentElement.getAttribute("data-consentry-policy")), "opt-out");
  assert.equal(fetchedUi(page), false, "no banner, no module");
  assert.equal(await page.isVisible(".when-opt-out"), true);
  assert.equal(await page.isVisible(".when-not-opt-out"), false);
  await page.click(".when-opt-out");
  const centre = await page.waitForSelector("dialog.consentry-ui[open]");
  assert.match(await centre.textContent(), /Your privacy choices/);
  await centre.$("[data-b=reject]").then((b) => b.click());
  await page.waitForFunction(() => !consentry.isApproved("marketing"));
  await context.close();

  const gpc = await env.browser.newContext();
  await gpc.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
  const opted = await visit(gpc, "?region=US-CA");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await opted.evaluate(() => [consentry.isApproved("necessary"), consentry.isApproved("analytics"), consentry.isApproved("marketing")]), [true, false, false]);
  assert.equal(await opted.$(".consentry-ui"), null);
  assert.deepEqual(await tagsRan(opted), []);
  await gpc.close();
});

test("an unknown region gets the strictest policy; the relay's /region decides when the site does not know", async () => {
  const context = await env.browser.newContext();
  const page = await visit(context, "");
  await banner(page);
  assert.equal(await page.evaluate(() => document.documentElement.getAttribute("data-consentry-policy")), "opt-in");
  await context.close();

  // A page that asks the relay, which reads the CDN's headers (set here as Vercel would).
  const relay = `http://127.0.0.1:${env.server.relayPort}`;
  const config = `{ categories: ["analytics"], isOptInStorageEnabled: true, ui: { regions: { EU: "opt-in", "US-CA": "opt-out" }, regionUrl: "${relay}/region" } }`;
  const located = await env.browser.newContext();
  await located.route(`${relay}/region`, (route) => route.continue({ headers: { ...route.request().headers(), "x-vercel-ip-country": "US", "x-vercel-ip-country-region": "CA" } }));
  const p = await openFixture(located, `${site()}/located.html`, fixture(config));
  await p.waitForFunction(() => consentry.isApproved("analytics"));
  assert.equal(await p.evaluate(() => sessionStorage.getItem("consentry-region")), "US-CA");
  assert.equal(await p.$(".consentry-ui"), null);
  // A region whose policy changes no default still changes what is shown:
  // here the strictest is opt-out, and Texas gets the notice.
  const quiet = `{ categories: ["analytics"], ui: { regions: { "US-CA": "opt-out", US: "notice" }, regionUrl: "${relay}/region" } }`;
  await located.unroute(`${relay}/region`);
  await located.route(`${relay}/region`, (route) => route.continue({ headers: { ...route.request().headers(), "x-vercel-ip-country": "US", "x-vercel-ip-country-region": "TX" } }));
  const tx = await openFixture(located, `${site()}/texas.html`, fixture(quiet));
  await tx.waitForSelector("section.consentry-ui");
  assert.equal(await tx.evaluate(() => document.documentElement.getAttribute("data-consentry-policy")), "notice");
  assert.equal(await tx.evaluate(() => sessionStorage.getItem("consentry-region")), "US-TX");
  await located.close();
});

test("keyboard only: into the banner, through the preference centre (focus kept inside), a choice, focus back", async () => {
  const context = await env.browser.newContext();
  const page = await visit(context, "?region=DE&layout=box");
  await banner(page);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Privacy policy");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.b), "customise");
  await page.keyboard.press("Enter");
  await page.waitForSelector("dialog.consentry-ui[open]");
  for (let i = 0; i < 14; i++) {
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => !!document.activeElement.closest("dialog.consentry-ui")), true, `tab ${i + 1} stays in the dialog`);
  }
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => !!document.activeElement.closest("dialog.consentry-ui")), true, "Shift+Tab too");
  await page.focus("#consentry-ui-marketing");
  await page.keyboard.press("Space");
  await page.focus("dialog [data-b=save]");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => consentry.isApproved("marketing") && !consentry.isApproved("analytics"));
  assert.equal(await page.$("dialog.consentry-ui"), null);
  // From the footer link and back to it.
  await page.focus(".when-not-opt-out");
  await page.keyboard.press("Enter");
  await page.waitForSelector("dialog.consentry-ui[open]");
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "DIALOG", "focus moved into the centre");
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.activeElement.className), "when-not-opt-out", "focus back where it was");
  await context.close();
});

test("under a strict CSP (style-src 'self', no unsafe-inline or eval) the banner shows, styled, with no violation", async () => {
  const inline = `window.consentryConfig = { categories: ["analytics"], ui: { layout: "modal" } };\n${SNIPPET}`;
  const hash = createHash("sha256").update(inline).digest("base64");
  const csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-${hash}'; style-src 'self'; connect-src 'self'`;
  const context = await env.browser.newContext();
  const page = await openFixture(context, `${site()}/csp-banner.html`, `<!doctype html><html lang="en"><head><title>csp</title>
<meta http-equiv="Content-Security-Policy" content="${csp}"><script>${inline}</script></head><body></body></html>`);
  const dialog = await page.waitForSelector("dialog.consentry-ui[open]");
  assert.equal(await dialog.evaluate((d) => getComputedStyle(d).borderRadius), "10px", "the stylesheet applied");
  await page.keyboard.press("Escape");
  assert.notEqual(await page.$("dialog.consentry-ui[open]"), null, "a modal banner is not dismissed without a choice");
  await page.click("[data-b=reject]");
  await page.waitForFunction(() => consentry.status == "complete");
  assert.equal(await page.evaluate(() => document.querySelectorAll("[style]").length), 0, "no inline style anywhere");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("axe-core finds no violation: light and dark, bar, modal and the preference centre, desktop and 390 px, right to left", async () => {
  for (const [colorScheme, width, query] of [
    ["light", 1280, "?region=DE"],
    ["dark", 1280, "?region=DE&layout=modal&lang=fr"],
    ["dark", 390, "?region=DE&lang=pl"],
    ["light", 390, "?region=DE&layout=modal"],
  ]) {
    const context = await env.browser.newContext({ colorScheme, viewport: { width, height: 800 } });
    const page = await visit(context, query);
    await page.waitForSelector(".consentry-ui");
    await page.addScriptTag({ content: AXE });
    const check = async (what) => {
      const r = await page.evaluate(() => axe.run({ include: [".consentry-ui"] }, { resultTypes: ["violations"] }));
      assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), [], `${what} ${colorScheme} ${width} ${query}`);
    };
    await check("banner");
    await page.click("[data-b=customise]");
    await page.waitForSelector("dialog.consentry-ui[open]");
    await check("preferences");
    if (width == 390 && colorScheme == "light") {
      await page.evaluate(() => (document.documentElement.dir = "rtl"));
      await page.keyboard.press("Escape");
      await page.click("[data-b=customise]");
      const dir = await page.$eval("dialog.consentry-ui", (d) => [d.dir, getComputedStyle(d.querySelector(".consentry-ui-close")).left]);
      assert.equal(dir[0], "rtl");
      assert.ok(parseFloat(dir[1]) < 100, "the close button sits at the start of a right-to-left line");
      await check("right to left");
    }
    await context.close();
  }
});

test("a receipt proves what the banner showed: its language, layout, the SHA-256 of its texts and the button", async () => {
  const relay = `http://127.0.0.1:${env.server.relayPort}`;
  const config = `{ categories: ["analytics", "marketing"], isOptInStorageEnabled: true, receipts: "${relay}", ui: { language: "de", layout: "box" } }`;
  const context = await env.browser.newContext();
  const page = await openFixture(context, `${site()}/proof.html`, fixture(config));
  const shown = await (await page.waitForSelector("section.consentry-ui")).textContent();
  await page.click("[data-b=reject]");
  await page.waitForFunction(() => consentry.consentRecord);
  const id = await page.evaluate(() => consentry.consentRecord.consentId);
  let entries = [];
  for (let i = 0; i < 100 && !entries.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    entries = ledger(env.server.db, "--consent-id", id);
  }
  assert.equal(entries.length, 1);
  assert.deepEqual(entries[0].banner, {
    language: "de", layout: "box", button: "reject",
    texts_sha256: createHash("sha256").update(shown).digest("hex"),
  });
  assert.equal(entries[0].cause, "banner");
  await context.close();
});

test("showPreferences() opens the centre from the API; without ui it rejects with an Error naming the call", async () => {
  const context = await env.browser.newContext();
  const page = await openFixture(context, `${site()}/api.html`, fixture(`{ categories: ["analytics"], ui: { regions: { US: "notice" }, region: "US-TX" } }`));
  await ready(page);
  await page.waitForSelector("section.consentry-ui");
  assert.match(await page.textContent("section.consentry-ui"), /OK/, "a notice informs: OK and Customise");
  await page.evaluate(() => consentry.showPreferences());
  await page.waitForSelector("dialog.consentry-ui[open]");
  const plain = await openFixture(context, `${site()}/plain.html`, fixture(`{ doesOptInApply: true }`));
  await ready(plain);
  const e = await plain.evaluate(() => consentry.showPreferences().catch((e) => e.message));
  assert.equal(e, "consentry.showPreferences: the configuration has no ui; expected init with a ui key");
  const bad = await openFixture(context, `${site()}/typo.html`, fixture(`{ ui: { regions: { EU: "optin" } } }`));
  await bad.waitForFunction(() => window.consentry);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(bad.errors.some((m) => m.includes('config.ui.regions.EU is "optin"; expected "opt-in"')), bad.errors.join("\n"));
  assert.equal(await bad.evaluate(() => consentry.isApproved("aa")), false);
  await context.close();
});
