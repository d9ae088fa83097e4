// The sign-up flow (consentry.renderSignup) in Chromium through the demo's
// relay to the sandbox (issue 16): two unticked boxes, each with its own
// disclosure; /users/track with the ticked boxes' groups; the email
// subscribed at once and the phone through the double opt-in; both
// consents in the relay's ledger, each with its disclosure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setup, ledger } from "./harness.mjs";

const env = setup();
const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");


test("a sign-up with both boxes: the email subscribed, the phone in the double opt-in, both consents in the ledger", async () => {
  const site = `http://127.0.0.1:${env.server.port}`;
  const page = await env.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${site}/register.html`);
  const form = page.locator(".consentry-signup");
  await form.getByRole("button", { name: "Sign up" }).waitFor();
  // A choice first, so the sign-up carries the browser's consent id.
  await page.evaluate(() => consentry.approve(["sms"]));
  const consentId = await page.evaluate(() => consentry.consentRecord.consentId);
  // Neither box is ticked beforehand; a ticked box needs its field.
  assert.equal(await form.getByRole("checkbox", { checked: true }).count(), 0);
  await form.getByLabel("Yes, send me promotional emails").check();
  await form.getByRole("button", { name: "Sign up" }).click();
  await form.getByText("Enter your email address to get emails.").waitFor();
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => (await window.axe.run(".consentry-signup")).violations.map((v) => `${v.id}: ${v.help}`));
  assert.deepEqual(violations, []);
  await form.getByRole("textbox", { name: "Email" }).fill("ana@example.com");
  await form.getByLabel("Mobile number").fill("415 555 0142");
  await form.getByLabel("Yes, send me promotional texts").check();
  await form.getByRole("button", { name: "Sign up" }).click();
  await form.getByText("You are signed up. We sent a text to +14155550142: reply Y to confirm your texts.").waitFor();

  const emailLog = await (await fetch(`${site}/sandbox/consent-log?email=ana%40example.com`)).json();
  assert.deepEqual(emailLog.entries.map((e) => [e.subscription_group_id, e.state]), [["acme-email", "subscribed"]]);
  // (The relay keeps the consent record and sends Braze none.)
  const status = await (await fetch(`${site}/subscription/status/get?phone=%2B14155550142&subscription_group_id=acme-sms`)).json();
  assert.equal(status.subscription_groups[0].pending_double_opt_in, true);
  // The ledger: one entry per box, each with its own disclosure, linked
  // to the browser's cookie choices by the consent id.
  const entries = ledger(env.server.db, "--consent-id", consentId).filter((e) => e.kind === "subscription");
  const byGroup = Object.fromEntries(entries.map((e) => [e.subscription_group_id, e]));
  assert.equal(byGroup["acme-email"].email, "ana@example.com");
  assert.match(byGroup["acme-email"].disclosure, /^Acme News/);
  assert.equal(byGroup["acme-sms"].phone, "+14155550142");
  assert.match(byGroup["acme-sms"].disclosure, /^By checking this box/);
  assert.deepEqual(errors, []);
  await page.close();
});
