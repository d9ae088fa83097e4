// End-to-end: the phone form (its own wasm module, loaded on demand) against
// the real sandbox service: validation, pending -> prompt -> Y -> subscribed
// -> STOP, the modal's keyboard behaviour, axe-core on both forms, and the
// outbox delivering exactly once after the server comes back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setup, startServer } from "./harness.mjs";

const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const env = setup();

const api = async (path, body) => {
  const r = await fetch(`http://127.0.0.1:${env.server.port}${path}`, body && { method: "POST", body: JSON.stringify(body) });
  return r.json();
};

async function open() {
  const page = await env.browser.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(`http://127.0.0.1:${env.server.port}/phone.html`);
  await page.waitForSelector("#inline-form form");
  return page;
}

async function axe(page, selector) {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async (sel) => (await window.axe.run(sel)).violations.map((v) => `${v.id}: ${v.help}`), selector);
}

test("validation, then pending, Y, STOP through the form", async () => {
  const page = await open();
  const form = "#inline-form";
  await page.fill(`${form} input[type=tel]`, "415 CALL NOW");
  await page.click(`${form} button[type=submit]`);
  assert.equal(await page.getAttribute(`${form} input[type=tel]`, "aria-invalid"), "true");
  assert.equal(await page.textContent(`${form} [id$=phone-error]`), "Use digits only.");
  assert.equal(await page.textContent(`${form} [id$=consent-error]`), "Please tick the box to agree.");
  for (const error of ["phone-error", "consent-error"]) {
    assert.equal(await page.getAttribute(`${form} [id$=${error}]`, "aria-live"), "polite", `${error} is announced`);
  }
  assert.equal(await page.isChecked(`${form} input[type=checkbox]`), false, "never pre-ticked");

  await page.fill(`${form} input[type=tel]`, "(415) 555-0142");
  await page.check(`${form} input[type=checkbox]`);
  await page.click(`${form} button[type=submit]`);
  await page.waitForFunction(() => document.querySelector("#inline-form [role=status]").textContent.includes("Reply Y"));
  assert.equal(await page.textContent(`${form} [role=status]`), "We sent a text to +14155550142. Reply Y to confirm.");
  const outbox = await api("/sandbox/outbox?phone=%2B14155550142");
  assert.match(outbox.messages[0].body, /reply Y to confirm/);
  const log = await api("/sandbox/consent-log?phone=%2B14155550142");
  assert.match(log.entries[0].disclosure, /Msg & data rates may apply/);

  await api("/sandbox/inbound", { phone: "+14155550142", subscription_group_id: "acme-sms", body: "Y" });
  let status = await api("/subscription/status/get?phone=%2B14155550142&subscription_group_id=acme-sms");
  assert.equal(status.subscription_groups[0].subscription_state, "subscribed");
  const replies = await api("/sandbox/inbound", { phone: "+14155550142", subscription_group_id: "acme-sms", body: "STOP" });
  assert.match(replies.replies[0].body, /you are unsubscribed/);
  status = await api("/subscription/status/get?phone=%2B14155550142&subscription_group_id=acme-sms");
  assert.equal(status.subscription_groups[0].subscription_state, "unsubscribed");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the in-app modal keeps focus inside, closes on Escape, and gives focus back", async () => {
  const page = await open();
  await page.click("#open-modal");
  await page.waitForSelector("[role=dialog][aria-modal=true]");
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "SELECT");
  for (let i = 0; i < 8; i++) await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => !!document.activeElement.closest("[role=dialog]")), true, "focus stays in the dialog");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await page.evaluate(() => !!document.activeElement.closest("[role=dialog]")), true);
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("[role=dialog]").count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement.id), "open-modal");
  await page.close();
});

test("axe-core finds no violation in the inline or the modal form", async () => {
  const page = await open();
  assert.deepEqual(await axe(page, "#inline-form"), []);
  await page.click("#open-modal");
  await page.waitForSelector("[role=dialog]");
  assert.deepEqual(await axe(page, "[role=dialog]"), []);
  await page.close();
});

test("a submission made while the server is down is delivered exactly once after it returns", async () => {
  // A server of its own, stopped (SIGKILL) and restarted on the same port and database.
  let own = await startServer();
  const base = `http://127.0.0.1:${own.port}`;
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/phone.html`);
  await page.waitForSelector("#inline-form form");
  await own.stop();
  await page.fill("#inline-form input[type=tel]", "(415) 555-0177");
  await page.check("#inline-form input[type=checkbox]");
  await page.click("#inline-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#inline-form [role=status]").textContent.includes("offline"));
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem("consentry-outbox")).length), 1);
  own = await startServer({ port: own.port, db: own.db });
  // Back online: the retry goes out at once, with the same idempotency key.
  await context.setOffline(true);
  await context.setOffline(false);
  await page.waitForFunction(() => localStorage.getItem("consentry-outbox") === null, null, { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector("#inline-form [role=status]").textContent.includes("Reply Y"));
  await page.reload();
  await page.waitForSelector("#inline-form form");
  const get = async (path) => (await fetch(`${base}${path}`)).json();
  assert.equal((await get("/sandbox/consent-log?phone=%2B14155550177")).entries.length, 1, "applied exactly once");
  assert.equal((await get("/sandbox/outbox?phone=%2B14155550177")).messages.length, 1, "one prompt");
  await context.close();
  await own.stop();
});

test("an undelivered submission goes out on the next page load", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${env.server.port}/phone.html`);
  await page.waitForSelector("#inline-form form");
  await context.route("**/subscription/status/set", (route) => route.fulfill({ status: 503, body: "{}" }));
  await page.fill("#inline-form input[type=tel]", "(415) 555-0188");
  await page.check("#inline-form input[type=checkbox]");
  await page.click("#inline-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#inline-form [role=status]").textContent.includes("offline"));
  await context.unroute("**/subscription/status/set");
  await page.goto(`http://127.0.0.1:${env.server.port}/index.html`);
  await page.waitForFunction(() => localStorage.getItem("consentry-outbox") === null, null, { timeout: 10000 });
  assert.equal((await api("/sandbox/consent-log?phone=%2B14155550188")).entries.length, 1);
  await context.close();
});
