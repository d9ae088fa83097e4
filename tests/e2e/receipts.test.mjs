// Consent receipts in Chromium, through the demo's relay: a committed
// choice reaches the relay's ledger once, also when the relay could not be
// reached at the time (the receipt waits in localStorage and goes out on
// the next page), and a phone opt-in in the same browser is linked to the
// same consent id.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { setup, openFixture, fixture, ready, ledger, SNIPPET_CONSENT_MODE } from "./harness.mjs";

const env = setup();

const waitFor = async (check) => {
  for (let i = 0; i < 100; i++) {
    const v = check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
};

test("a committed choice reaches the ledger once, even when the relay was unreachable at the time", async () => {
  const site = `http://127.0.0.1:${env.server.port}`;
  const relay = `http://127.0.0.1:${env.server.relayPort}`;
  const config = `{ doesOptInApply: true, isOptInStorageEnabled: true, categories: ["sms"], receipts: "${relay}" }`;
  const context = await env.browser.newContext();
  // The relay cannot be reached while the visitor chooses.
  await context.route(`${relay}/**`, (route) => route.abort());
  const page = await openFixture(context, `${site}/receipts.html`, fixture(config));
  await ready(page);
  await page.evaluate(() => consentry.approve(["aa", "sms"]));
  const id = await page.evaluate(() => consentry.consentRecord.consentId);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("consentry-receipts") || "[]").length === 1);
  assert.deepEqual(ledger(env.server.db, "--consent-id", id), [], "nothing reached the relay");
  // The next page, with the relay back: the waiting receipt goes out once.
  await context.unroute(`${relay}/**`);
  const next = await openFixture(context, `${site}/receipts.html`, fixture(config));
  await ready(next);
  const entries = await waitFor(() => ledger(env.server.db, "--consent-id", id).filter((e) => e.kind == "receipt").length && ledger(env.server.db, "--consent-id", id));
  assert.equal(entries.length, 1);
  const r = entries[0];
  assert.deepEqual([r.cause, r.permissions.aa, r.permissions.sms, r.changes.aa, r.gpc, r.tc_sha256], ["approve", true, true, true, false, null]);
  assert.match(r.page, /\/receipts\.html$/);
  await next.waitForFunction(() => localStorage.getItem("consentry-receipts") === null);
  // Another page load sends nothing again.
  await ready(await openFixture(context, `${site}/receipts.html`, fixture(config)));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(ledger(env.server.db, "--consent-id", id).length, 1);
  await context.close();
});

test("with GPP a receipt carries the SHA-256 of the GPP string in force", async () => {
  const site = `http://127.0.0.1:${env.server.port}`;
  const relay = `http://127.0.0.1:${env.server.relayPort}`;
  const config = `{ doesOptInApply: true, receipts: "${relay}", gpp: { sections: ["usnat"], optOuts: { sale: ["aam"] } } }`;
  const context = await env.browser.newContext();
  // The GPP module arrives only after the visitor approved: the receipt
  // still carries the string of the approval, not the defaults' string.
  let release;
  const held = new Promise((r) => (release = r));
  await context.route(/consentry-gpp_bg\.wasm$/, async (route) => (await held, route.continue()));
  const page = await openFixture(context, `${site}/receipts-gpp.html`, fixture(config, "", SNIPPET_CONSENT_MODE));
  await ready(page);
  await page.evaluate(() => consentry.approve("aam"));
  release();
  const id = await page.evaluate(() => consentry.consentRecord.consentId);
  const entries = await waitFor(() => ledger(env.server.db, "--consent-id", id).filter((e) => e.kind == "receipt").length && ledger(env.server.db, "--consent-id", id));
  const string = await page.evaluate(() => new Promise((r) => __gpp("ping", (p) => r(p.gppString))));
  assert.equal(entries[0].gpp_sha256, createHash("sha256").update(string).digest("hex"));
  assert.equal(entries[0].tc_sha256, null);
  await context.close();
});

test("a phone opt-in in the same browser is linked to its cookie choices by the consent id", async () => {
  const site = `http://127.0.0.1:${env.server.port}`;
  const relay = `http://127.0.0.1:${env.server.relayPort}`;
  const config = `{ doesOptInApply: true, isOptInStorageEnabled: true, receipts: "${relay}" }`;
  const context = await env.browser.newContext();
  const page = await openFixture(context, `${site}/linked.html`, fixture(config).replace("<body></body>", '<body><div id="f"></div></body>'));
  await ready(page);
  await page.evaluate(() => consentry.denyAll());
  const id = await page.evaluate(() => consentry.consentRecord.consentId);
  await page.evaluate((endpoint) => consentry.renderPhoneCapture(document.getElementById("f"), {
    subscriptionGroupId: "acme-sms", endpoint, programme: "Acme Alerts", countries: ["US"],
    disclosure: "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts (up to 4 msgs/month). Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
  }), relay);
  await page.fill("#f input[type=tel]", "(415) 555-0163");
  await page.check("#f input[type=checkbox]");
  await page.click("#f button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#f [role=status]").textContent.includes("Reply Y"));
  const entries = await waitFor(() => {
    const e = ledger(env.server.db, "--consent-id", id);
    return e.length == 2 && e;
  });
  assert.deepEqual(entries.map((e) => e.kind), ["receipt", "subscription"]);
  assert.equal(entries[0].cause, "denyAll");
  assert.equal(entries[1].phone, "+14155550163");
  await context.close();
});
