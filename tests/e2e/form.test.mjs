// End-to-end: the phone form (its own wasm module, loaded on demand) against
// the real sandbox service: validation, pending -> prompt -> Y -> subscribed
// -> STOP, the modal's keyboard behaviour, axe-core on both forms, and the
// outbox delivering exactly once after the server comes back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setup, startServer, openFixture, fixture, ledger } from "./harness.mjs";

const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const env = setup();

const api = async (path, body) => {
  const r = await fetch(`http://127.0.0.1:${env.server.port}${path}`, body && { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
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
  // The form posted to the relay in front of the sandbox: the consent
  // record is in the relay's ledger, and Braze got none.
  const entries = ledger(env.server.db, "--phone", "+14155550142");
  assert.equal(entries.length, 1);
  const record = entries[0];
  assert.match(record.disclosure, /Msg & data rates may apply/);
  assert.equal(record.disclosure_sha256.length, 64);
  assert.match(record.page_url, /\/phone\.html$/);
  assert.equal(record.ip, "127.0.0.1");
  const log = await api("/sandbox/consent-log?phone=%2B14155550142");
  assert.equal(log.entries[0].disclosure, "", "the relay strips the consent record before Braze");

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

test("axe-core finds no violation in the inline or the modal form, with errors shown, light and dark", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const context = await env.browser.newContext({ colorScheme });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${env.server.port}/phone.html`);
    await page.waitForSelector("#inline-form form");
    assert.deepEqual(await axe(page, "#inline-form"), [], colorScheme);
    await page.click("#inline-form button[type=submit]");
    await page.waitForSelector("#inline-form [id$=phone-error]:not(:empty)");
    assert.deepEqual(await axe(page, "#inline-form"), [], `${colorScheme}, errors shown`);
    await page.click("#open-modal");
    await page.waitForSelector("[role=dialog]");
    assert.deepEqual(await axe(page, "[role=dialog]"), [], colorScheme);
    await context.close();
  }
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
  // The browser is online; the server is not: the form says so, not "offline".
  await page.waitForFunction(() => document.querySelector("#inline-form [role=status]").textContent.includes("can't reach"));
  assert.equal(await page.isVisible("#inline-form button:has-text('Try again now')"), true);
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem("consentry-outbox")).length), 1);
  own = await startServer({ port: own.port, relayPort: own.relayPort, db: own.db });
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
  await page.waitForFunction(() => document.querySelector("#inline-form [role=status]").textContent.includes("can't reach"));
  await context.unroute("**/subscription/status/set");
  await page.goto(`http://127.0.0.1:${env.server.port}/index.html`);
  await page.waitForFunction(() => localStorage.getItem("consentry-outbox") === null, null, { timeout: 10000 });
  assert.equal((await api("/sandbox/consent-log?phone=%2B14155550188")).entries.length, 1);
  await context.close();
});

const DISCLOSURE = "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts " +
  "(up to 4 msgs/month). Msg & data rates may apply. Reply HELP for help, STOP to cancel.";

// A page of the server's origin with the snippet and one form in #f.
async function formPage(options, context) {
  context = context || (await env.browser.newContext());
  const site = `http://127.0.0.1:${env.server.port}`;
  // Consentry's script waits until the form has been asked for, so the call
  // always goes through the stub's queue.
  let release;
  const asked = new Promise((r) => (release = r));
  await context.route("**/consentry/consentry_bg.js", async (route) => { await asked; await route.continue(); });
  const html = fixture("{ doesOptInApply: true }").replace("<body></body>", '<body><div id="f"></div></body>');
  const page = await openFixture(context, `${site}/form-fixture.html`, html, "domcontentloaded");
  page.own = context;
  await page.evaluate((o) => {
    window.calls = [];
    const record = (name) => (e) => window.calls.push([name, e && e.status]);
    const opts = { subscriptionGroupId: "acme-sms", endpoint: location.origin, programme: "Acme Alerts", disclosure: o.disclosure,
      onPending: record("pending"), onError: record("error"), ...o.extra };
    // Called at once, before Consentry has loaded: queued by the stub.
    window.rendered = consentry.renderPhoneCapture(document.getElementById("f"), opts);
    // Read once: a change after the call changes nothing.
    opts.programme = "Changed later";
  }, { disclosure: DISCLOSURE, extra: options });
  assert.equal(await page.evaluate(() => consentry._l), undefined, "not loaded yet");
  release();
  await page.waitForSelector("#f form");
  return page;
}

test("renderPhoneCapture works before Consentry has loaded, and reads its options once", async () => {
  const page = await formPage({ countries: ["US"] });
  assert.equal(await page.textContent("#f .consentry-programme"), "Acme Alerts");
  assert.equal(await page.evaluate(async () => typeof (await window.rendered).destroy), "function");
  // Called once loaded: the options, nested ones too, are copied at the call.
  const shown = await page.evaluate(async () => {
    const el = document.body.appendChild(document.createElement("div"));
    const o = { subscriptionGroupId: "acme-sms", endpoint: "/", programme: "Later Alerts", countries: ["US"],
      disclosure: document.querySelector("#f .consentry-disclosure").textContent.replace("Acme Alerts", "Later Alerts"), texts: { submit: "Join" } };
    const rendered = consentry.renderPhoneCapture(el, o);
    o.programme = "Changed";
    o.texts.submit = "Changed";
    await rendered;
    return [el.querySelector(".consentry-programme").textContent, el.querySelector(".consentry-submit").textContent];
  });
  assert.deepEqual(shown, ["Later Alerts", "Join"]);
  assert.deepEqual(page.errors, []);
  await page.own.close();
});

test("a field's error goes as soon as it is fixed", async () => {
  const page = await formPage({ countries: ["US"] });
  await page.fill("#f input[type=tel]", "415 555");
  await page.click("#f button[type=submit]");
  assert.equal(await page.textContent("#f [id$=phone-error]"), "This number is too short.");
  assert.equal(await page.textContent("#f [id$=consent-error]"), "Please tick the box to agree.");
  await page.fill("#f input[type=tel]", "415 555 0100");
  assert.equal(await page.textContent("#f [id$=phone-error]"), "", "cleared while typing, before any submit");
  assert.equal(await page.getAttribute("#f input[type=tel]", "aria-invalid"), "false");
  await page.check("#f input[type=checkbox]");
  assert.equal(await page.textContent("#f [id$=consent-error]"), "");
  await page.own.close();
});

test("after pending, a mistyped number can be changed and sent again", async () => {
  const page = await formPage({ countries: ["US"] });
  await page.fill("#f input[type=tel]", "415 555 0110");
  await page.check("#f input[type=checkbox]");
  await page.click("#f button[type=submit]");
  await page.waitForSelector("#f form[data-state=pending]");
  await page.click("#f button:has-text('Wrong number? Change it')");
  assert.equal(await page.getAttribute("#f form", "data-state"), "idle");
  assert.equal(await page.evaluate(() => document.activeElement.type), "tel");
  await page.fill("#f input[type=tel]", "415 555 0111");
  await page.click("#f button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#f [role=status]").textContent.includes("+14155550111"));
  const outbox = await api("/sandbox/outbox?phone=%2B14155550111");
  assert.equal(outbox.messages.length, 1, "the corrected number got the prompt");
  await page.own.close();
});

test("a 4xx says what is wrong and offers no retry that can only fail again", async () => {
  // Ireland is offered by the form but not served by the acme-sms group.
  const page = await formPage({ countries: ["US", "IE"], defaultCountry: "IE" });
  await page.fill("#f input[type=tel]", "085 123 4567");
  await page.check("#f input[type=checkbox]");
  await page.click("#f button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#f [id$=phone-error]").textContent.length > 0);
  assert.equal(await page.textContent("#f [id$=phone-error]"), "This programme does not accept numbers from IE +353. Choose another country.");
  assert.equal(await page.isEnabled("#f button[type=submit]"), true, "the visitor can pick another country");
  assert.equal(await page.locator("#f .consentry-link:visible").count(), 0, "no Try again");
  assert.deepEqual(await page.evaluate(() => window.calls), [["error", 400]]);
  await page.own.close();
});

test("a misconfigured endpoint says sign-up is unavailable and names the endpoint on the console", async () => {
  const page = await formPage({ countries: ["US"], endpoint: "/no-such-api" });
  await page.fill("#f input[type=tel]", "415 555 0120");
  await page.check("#f input[type=checkbox]");
  await page.click("#f button[type=submit]");
  await page.waitForSelector("#f form[data-state=error]");
  assert.equal(await page.textContent("#f [role=status]"), "Sign-up is not available right now. Please try again later.");
  assert.equal(await page.locator("#f .consentry-link:visible").count(), 0, "no Try again");
  assert.ok(page.errors.some((e) => e.includes("/no-such-api/subscription/status/set answered 404")), page.errors.join("\n"));
  await page.own.close();
});

test("delivery brazeBridge outside a Braze in-app message says sign-up is unavailable; only such a form downloads the bridge module", async () => {
  const bridging = (page) => page.evaluate(() => performance.getEntriesByType("resource").some((e) => e.name.endsWith("/consentry-form-bridge.mjs")));
  const plain = await formPage({ countries: ["US"] });
  assert.equal(await bridging(plain), false, "a form that posts to its endpoint downloads no bridge");
  await plain.own.close();
  const page = await formPage({ countries: ["US"], delivery: "brazeBridge" });
  const warnings = [];
  page.on("console", (m) => m.type() == "warning" && warnings.push(m.text()));
  await page.fill("#f input[type=tel]", "415 555 0120");
  await page.check("#f input[type=checkbox]");
  await page.click("#f button[type=submit]");
  await page.waitForSelector("#f form[data-state=error]");
  assert.equal(await page.textContent("#f [role=status]"), "Sign-up is not available right now. Please try again later.");
  assert.deepEqual(await page.evaluate(() => window.calls), [["error", 0]]);
  assert.ok(warnings.some((w) => w.includes("not inside a Braze HTML in-app message")), warnings.join("\n"));
  assert.equal(await bridging(page), true);
  await page.own.close();
});

test("Korean and Japanese disclosures that say everything get no warning; each page loads its language's texts only", async () => {
  const texts = (page) => page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name.match(/consentry-form-(\w+)\.mjs$/)?.[1]).filter(Boolean).sort());
  for (const [locale, programme, disclosure, submit] of [
    ["ko", "Acme 알림", "Acme 알림의 마케팅 문자 수신에 동의합니다(월 4회). 메시지 및 데이터 요금이 부과될 수 있습니다. 도움말은 HELP, 수신거부는 STOP으로 답장하세요.", "구독하기"],
    ["ja", "Acme通信", "Acme通信からのマーケティングSMS(月4回)の受信に同意します。通信料がかかる場合があります。ヘルプはHELP、停止はSTOPと返信してください。", "登録する"],
  ]) {
    const page = await formPage({ countries: ["KR", "JP"], locale, programme, disclosure });
    assert.deepEqual(page.warnings.filter((w) => w.includes("disclosure")), [], locale);
    assert.equal(await page.textContent("#f button[type=submit]"), submit);
    assert.deepEqual(await texts(page), ["capture", locale]);
    await page.own.close();
  }
  // English is built in: no texts module.
  const page = await formPage({ countries: ["US"] });
  assert.deepEqual(await texts(page), ["capture"]);
  await page.own.close();
});

test("at 320 px the form fits; right to left it mirrors", async () => {
  const context = await env.browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await formPage({ countries: ["US"], mode: "modal" }, context);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0);
  await page.setViewportSize({ width: 390, height: 640 });
  await page.evaluate(() => (document.documentElement.dir = "rtl"));
  const layout = await page.evaluate(() => {
    const box = (sel) => document.querySelector(sel).getBoundingClientRect();
    return {
      closeOnTheLeft: box(".consentry-close").left < box(".consentry-dialog").left + 80,
      countryOnTheRight: box(".consentry-select").left > box(".consentry-input").right,
    };
  });
  assert.deepEqual(layout, { closeOnTheLeft: true, countryOnTheRight: true });
  assert.equal(await overflow(), 0);
  await context.close();
});

test("a form module that failed to download is fetched again on the next call", async () => {
  const context = await env.browser.newContext();
  const site = `http://127.0.0.1:${env.server.port}`;
  const page = await openFixture(context, `${site}/retry-module.html`, fixture("{ doesOptInApply: true }").replace("<body></body>", '<body><div id="f"></div></body>'));
  await context.route("**/consentry-form-capture_bg.wasm", (route) => route.abort());
  const options = { subscriptionGroupId: "acme-sms", endpoint: "/", programme: "Acme Alerts", disclosure: DISCLOSURE, countries: ["US"] };
  const first = await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("f"), o).then(() => "rendered", (e) => "rejected"), options);
  assert.equal(first, "rejected");
  await context.unroute("**/consentry-form-capture_bg.wasm");
  await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("f"), o), options);
  await page.waitForSelector("#f form");
  await context.close();
});

test("only a modal form downloads the dialog's module and sheet; it shows once both sheets are in, focused; one that cannot be downloaded refuses the form", async () => {
  const context = await env.browser.newContext();
  const site = `http://127.0.0.1:${env.server.port}`;
  const page = await openFixture(context, `${site}/modal-module.html`, fixture("{ doesOptInApply: true }").replace("<body></body>", '<body><div id="a"></div><div id="b"></div></body>'));
  // (Each name once: the failed download is an entry too.)
  const modalFiles = () => page.evaluate(() => [...new Set(performance.getEntriesByType("resource").map((e) => e.name.match(/consentry-form-modal\.\w+$/)?.[0]).filter(Boolean))].sort());
  const options = { subscriptionGroupId: "acme-sms", endpoint: "/", programme: "Acme Alerts", disclosure: DISCLOSURE, countries: ["US"] };
  await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("a"), o), options);
  await page.waitForSelector("#a form:not([hidden])");
  assert.deepEqual(await modalFiles(), [], "an inline form");
  // A modal whose module cannot be downloaded is refused, naming why.
  await context.route("**/consentry-form-modal.mjs", (route) => route.abort());
  const refused = await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("b"), { ...o, mode: "modal" }).then(() => "rendered", (e) => e.message), options);
  assert.match(refused, /^consentry\.renderPhoneCapture: the modal could not be downloaded/);
  await context.unroute("**/consentry-form-modal.mjs");
  // Its sheet held back: the dialog waits for it, then shows with the select focused.
  let release;
  const held = new Promise((r) => (release = r));
  await context.route("**/consentry-form-modal.css", async (route) => { await held; await route.continue(); });
  await page.evaluate((o) => consentry.renderPhoneCapture(document.getElementById("b"), { ...o, mode: "modal" }), options);
  assert.equal(await page.evaluate(() => document.querySelector(".consentry-backdrop").hidden), true);
  release();
  await page.waitForFunction(() => document.activeElement?.tagName == "SELECT" && document.activeElement.closest("[role=dialog]"));
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector(".consentry-backdrop")).position), "fixed");
  assert.deepEqual(await modalFiles(), ["consentry-form-modal.css", "consentry-form-modal.mjs"]);
  await context.close();
});

test("no form shows unstyled: each waits for the stylesheet, also a second one rendered while it loads", async () => {
  const context = await env.browser.newContext();
  let release;
  const held = new Promise((r) => (release = r));
  await context.route("**/consentry-form-capture.css", async (route) => { await held; await route.continue(); });
  const site = `http://127.0.0.1:${env.server.port}`;
  const page = await openFixture(context, `${site}/two-forms.html`, fixture("{ doesOptInApply: true }").replace("<body></body>", '<body><div id="a"></div><div id="b"></div></body>'));
  const options = { subscriptionGroupId: "acme-sms", endpoint: "/", programme: "Acme Alerts", disclosure: DISCLOSURE, countries: ["US"] };
  await page.evaluate((o) => Promise.all([consentry.renderPhoneCapture(document.getElementById("a"), o), consentry.renderPhoneCapture(document.getElementById("b"), o)]), options);
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll("form.consentry-phone")].map((f) => f.hidden)), [true, true]);
  release();
  await page.waitForFunction(() => [...document.querySelectorAll("form.consentry-phone")].every((f) => !f.hidden));
  const colours = await page.evaluate(() => [...document.querySelectorAll(".consentry-submit")].map((b) => getComputedStyle(b).backgroundColor));
  assert.deepEqual(colours, ["rgb(67, 56, 202)", "rgb(67, 56, 202)"]);
  assert.equal(await page.locator("link[data-consentry-form]").count(), 1, "one stylesheet");
  await context.close();
});

test("options that are missing or wrong reject naming what is wrong", async () => {
  const page = await open();
  // A form's module refuses without the words; the build that says them
  // (consentry-form-explain) is downloaded only for a refusal.
  const explaining = () => page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name.split("/").pop()).filter((n) => n.startsWith("consentry-form-explain")));
  assert.deepEqual(await explaining(), [], "the page's good forms download no explanation");
  const messages = await page.evaluate(async (disclosure) => {
    const el = document.createElement("div");
    document.body.append(el);
    const base = { subscriptionGroupId: "acme-sms", endpoint: "/", programme: "Acme Alerts", disclosure };
    const tries = [undefined, null, { ...base, countries: ["US"], defaultCountry: "GB" }, { ...base, colour: "red" }];
    const out = [];
    for (const o of tries) out.push(await consentry.renderPhoneCapture(el, o).then(() => "rendered", (e) => e.message));
    return out;
  }, DISCLOSURE);
  assert.deepEqual(messages.slice(0, 3), [
    "consentry.renderPhoneCapture: options are undefined; expected an object",
    "consentry.renderPhoneCapture: options are null; expected an object",
    `consentry.renderPhoneCapture: options.defaultCountry is "GB"; expected one of the form's countries (options.countries): US`,
  ]);
  assert.match(messages[3], /^consentry\.renderPhoneCapture: options\.colour is not an option; expected one of /);
  assert.deepEqual((await explaining()).sort(), ["consentry-form-explain.mjs", "consentry-form-explain_bg.wasm"]);
  await page.close();
});

// The ledger's signing key of the relays these tests start (a test key).
const LEDGER_KEY = "ZTJlLXRlc3RzLWxlZGdlci1zaWduaW5nLWtleS0zMmI";

test("through a relay whose API key Braze refuses, the form says sign-up is unavailable and the console names the answer", async () => {
  // A sandbox that, like Braze, wants a key, and a relay holding the wrong one.
  const dir = mkdtempSync(join(tmpdir(), "consentry-e2e-key-"));
  const config = JSON.parse(readFileSync(new URL("../../server/sandbox/sandbox.json", import.meta.url), "utf8"));
  config.shared_secret = "the-right-secret-0123456789";
  writeFileSync(join(dir, "sandbox.json"), JSON.stringify(config));
  const braze = await startServer({ config: join(dir, "sandbox.json"), db: join(dir, "sandbox.db") });
  const site = `http://127.0.0.1:${braze.port}`;
  writeFileSync(join(dir, "relay.json"), JSON.stringify({
    upstream: site, origins: [site], groups: [{ id: "acme-sms", countries: ["US"] }], database: join(dir, "relay.db"),
  }));
  const relay = spawn("cargo", ["run", "--release", "-q", "-p", "consentry-relay", "--bin", "consentry-relay", "--",
    "--listen", "127.0.0.1:0", "--config", join(dir, "relay.json")], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, BRAZE_API_KEY: "a-wrong-key", CONSENTRY_LEDGER_KEY: LEDGER_KEY } });
  const relayUrl = await new Promise((resolve, reject) => {
    relay.on("exit", (code) => reject(new Error(`the relay exited (${code}) before it listened`)));
    let out = "";
    relay.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) resolve(m[0]);
    });
  });
  const context = await env.browser.newContext();
  const html = fixture("{ doesOptInApply: true }").replace("<body></body>", '<body><div id="f"></div></body>');
  const page = await openFixture(context, `${site}/wrong-key.html`, html);
  await page.evaluate(([endpoint, disclosure]) => consentry.renderPhoneCapture(document.getElementById("f"), {
    subscriptionGroupId: "acme-sms", endpoint, programme: "Acme Alerts", countries: ["US"], disclosure,
  }), [relayUrl, DISCLOSURE]);
  await page.fill("#f input[type=tel]", "415 555 0131");
  await page.check("#f input[type=checkbox]");
  await page.click("#f button[type=submit]");
  await page.waitForSelector("#f form[data-state=error]");
  assert.equal(await page.textContent("#f [role=status]"), "Sign-up is not available right now. Please try again later.");
  assert.ok(page.errors.some((e) => e.includes("/subscription/status/set answered 401")), page.errors.join("\n"));
  relay.kill("SIGKILL");
  await context.close();
  await braze.stop();
});
