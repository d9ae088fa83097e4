// Security in real Chromium: a strict Content-Security-Policy (no inline
// script but the snippet, allowed by its hash), configuration and
// disclosure texts carrying HTML or script shown as text, and no request to
// a host the site did not configure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { setup, openFixture, SNIPPET } from "./harness.mjs";

let browser, site;
setup((env) => {
  browser = env.browser;
  site = `http://www.shop.site.test:${env.server.port}`;
});

const FORM = {
  subscriptionGroupId: "acme-sms", endpoint: "", programme: "Acme <b>Alerts</b>",
  disclosure: `By checking this box you agree to receive recurring automated marketing texts from Acme <b>Alerts</b> (up to 4 msgs/month). Msg & data rates may apply. Reply HELP for help, STOP to cancel. <img src=x onerror="window.pwned='disclosure'"><script>window.pwned='script'</script>`,
  countries: ["US"],
  texts: { submit: `<img src=x onerror="window.pwned='texts'">Sign up` },
};

test("a strict CSP: only the snippet inline (by hash), script-src 'self' 'wasm-unsafe-eval'; the gate, the form and TCF work", async () => {
  const inline = `window.consentryConfig = { doesOptInApply: true, isOptInStorageEnabled: true };\n${SNIPPET}`;
  const hash = createHash("sha256").update(inline).digest("base64");
  const csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-${hash}'; style-src 'self'; connect-src 'self'; img-src 'self'`;
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/csp.html`, `<!doctype html><html lang="en"><head><title>csp</title>
<meta http-equiv="Content-Security-Policy" content="${csp}">
<script>${inline}</script><script>window.inlineRan = true;</script></head><body><div id="f"></div></body></html>`);
  await page.waitForFunction(() => window.consentry && window.consentry.decodeTCString);
  assert.equal(await page.evaluate(() => window.inlineRan), undefined, "the CSP is in force: other inline script is blocked");
  await page.evaluate(() => consentry.approve("aa"));
  assert.equal(await page.evaluate(() => consentry.isApproved("aa")), true);
  await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("f"), o), { ...FORM, endpoint: site });
  await page.waitForSelector("#f form");
  // The modal's overlay comes from the stylesheet, so the policy cannot strip it.
  await page.evaluate((o) => consentry.renderPhoneCapture(document.body, o), { ...FORM, endpoint: site, mode: "modal" });
  await page.waitForSelector("[role=dialog]");
  const overlay = await page.evaluate(() => {
    const s = getComputedStyle(document.querySelector(".consentry-backdrop"));
    return { position: s.position, inset: s.inset, background: s.backgroundColor };
  });
  assert.deepEqual(overlay, { position: "fixed", inset: "0px", background: "rgba(17, 24, 39, 0.6)" });
  assert.equal(await page.evaluate(() => document.querySelectorAll("[style]").length), 0, "no inline style anywhere");
  const [fixture] = JSON.parse(readFileSync("tests/fixtures/tcf.json", "utf8"));
  const tc = await page.evaluate((s) => consentry.decodeTCString(s), fixture.tcString);
  assert.equal(tc.cmpId, fixture.cmpId);
  // The one violation is the inline script the policy was meant to stop.
  const violations = page.errors.filter((e) => e.includes("Content Security Policy"));
  assert.equal(violations.length, 1, page.errors.join("\n"));
  assert.match(violations[0], /inline script/);
  await context.close();
});

test("HTML and script in the form's texts are shown as text, never run", async () => {
  const context = await browser.newContext();
  const page = await openFixture(context, `${site}/xss.html`, `<!doctype html><html lang="en"><head><title>xss</title>
<script>window.consentryConfig = { doesOptInApply: true };\n${SNIPPET}</script></head><body><div id="f"></div></body></html>`);
  await page.waitForFunction(() => window.consentry && window.consentry.renderPhoneCapture);
  await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("f"), o), { ...FORM, endpoint: site });
  await page.waitForSelector("#f form");
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.evaluate(() => document.querySelectorAll("#f img, #f script, #f b").length), 0);
  const text = await page.textContent("#f");
  assert.ok(text.includes(`<img src=x onerror="window.pwned='disclosure'">`) && text.includes("Acme <b>Alerts</b>"), text);
  await context.close();
});

test("nothing goes to a host the site did not configure: gate, Consent Mode, TCF and a form submission", async () => {
  const context = await browser.newContext();
  const hosts = new Set();
  await context.route("**/*", (route) => {
    hosts.add(new URL(route.request().url()).host);
    return route.continue();
  });
  const page = await openFixture(context, `${site}/hosts.html`, `<!doctype html><html lang="en"><head><title>hosts</title>
<script>window.consentryConfig = { doesOptInApply: true, isOptInStorageEnabled: true, isIabContext: true, tcf: { timeout: 200 },
  consentMode: { analytics_storage: ["aa"] }, cookies: { aa: ["_ga*"] } };\n${SNIPPET}</script></head><body><div id="f"></div></body></html>`);
  await page.waitForFunction(() => window.consentry && window.consentry.renderPhoneCapture);
  await page.evaluate(() => consentry.approveAll());
  await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("f"), o), { ...FORM, endpoint: site });
  await page.fill("#f input[type=tel]", "(415) 555-0199");
  await page.check("#f input[type=checkbox]");
  await page.click("#f button[type=submit]");
  await page.waitForFunction(() => /Reply Y/.test(document.querySelector("#f [role=status]").textContent));
  assert.deepEqual([...hosts], [new URL(site).host]);
  await context.close();
});
