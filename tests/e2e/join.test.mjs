// Text-to-join in Chromium against the demo server (issue 16): the link in
// the form each platform accepts, the QR code (from its own module) only on
// computers, WhatsApp's click-to-chat, and the texted keyword through the
// double opt-in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setup } from "./harness.mjs";

const env = setup();
const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";

async function open(userAgent) {
  const context = await env.browser.newContext(userAgent ? { userAgent, viewport: { width: 390, height: 844 } } : {});
  const page = await context.newPage();
  page.qr = [];
  page.on("request", (r) => r.url().includes("consentry-qr") && page.qr.push(r.url()));
  await page.goto(`http://127.0.0.1:${env.server.port}/join.html`);
  await page.locator("#wa-join .consentry-join-link").waitFor();
  return page;
}

const hrefs = (page) => page.evaluate(() => [...document.querySelectorAll(".consentry-join-link")].map((a) => a.getAttribute("href")));

test("on a computer: QR codes from the QR module beside the links and the disclosures", async () => {
  const page = await open();
  assert.deepEqual(await hrefs(page), ["sms:12345?body=JOIN", "https://wa.me/14155550100?text=JOIN"]);
  assert.equal(await page.locator("svg.consentry-qr").count(), 2);
  assert.ok(page.qr.some((u) => u.endsWith("consentry-qr_bg.wasm")), "the QR module was fetched");
  // The quiet zone is in the view box; the path draws the dark modules.
  const [viewBox, d] = await page.locator("#sms-join svg").evaluate((s) => [s.getAttribute("viewBox"), s.querySelector("path").getAttribute("d")]);
  assert.equal(viewBox, "-4 -4 33 33");
  assert.match(d, /^(M\d+ \d+h\d+v1h-\d+z)+$/);
  assert.match(await page.locator("#sms-join").textContent(), /Text JOIN to 12345.*Msg & data rates may apply/s);
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => (await window.axe.run(".consentry-join")).violations.map((v) => `${v.id}: ${v.help}`));
  assert.deepEqual(violations, []);
  await page.context().close();
});

test("the capture form offers text-to-join under it with its own programme and disclosure, from the join module", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const modules = [];
  page.on("request", (r) => /consentry-form-\w+_bg\.wasm$/.test(r.url()) && modules.push(r.url().split("/").pop()));
  await page.goto(`http://127.0.0.1:${env.server.port}/phone.html`);
  const block = page.locator("#inline-form .consentry-join");
  await block.locator("svg.consentry-qr").waitFor();
  // The capture form's stylesheet has no text-to-join rules: the block
  // loads consentry-form.css, which has them.
  assert.equal(await block.locator("svg.consentry-qr").evaluate((s) => getComputedStyle(s).width), "176px");
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll("link[data-consentry-form]")].map((l) => l.getAttribute("href").split("/").pop()).sort()), ["consentry-form-capture.css", "consentry-form.css"]);
  assert.equal(await block.locator(".consentry-join-link").getAttribute("href"), "sms:12345?body=JOIN");
  assert.match(await block.locator(".consentry-disclosure").textContent(), /^Text JOIN to 12345 to get recurring/);
  // The capture form's module has no text-to-join rules: the block's come
  // from the join module.
  assert.deepEqual(modules.sort(), ["consentry-form-capture_bg.wasm", "consentry-form-join_bg.wasm"]);
  // A bad textToJoin is named, and nothing is rendered.
  const forms = await page.locator(".consentry-phone").count();
  const error = await page.evaluate(() => consentry.renderPhoneCapture(document.body, {
    subscriptionGroupId: "acme-sms", endpoint: "/", programme: "Acme Alerts", disclosure: "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
    textToJoin: { number: "12", keyword: "JOIN" },
  }).then(() => "", (e) => e.message));
  assert.match(error, /^consentry\.renderPhoneCapture: options\.textToJoin\.number is "12"; expected a short code of 3 to 8 digits/);
  assert.equal(await page.locator(".consentry-phone").count(), forms);
  await context.close();
});

test("a capture form whose text-to-join module cannot be downloaded shows without the block", async () => {
  const context = await env.browser.newContext();
  await context.route("**/consentry-form-join_bg.wasm", (route) => route.abort());
  const page = await context.newPage();
  const warnings = [];
  page.on("console", (m) => m.text().includes("text-to-join block could not be shown") && warnings.push(m.text()));
  await page.goto(`http://127.0.0.1:${env.server.port}/phone.html`);
  await page.locator("#inline-form form.consentry-phone").waitFor();
  assert.equal(await page.locator("#inline-form .consentry-join").count(), 0);
  assert.ok(warnings.length > 0, "the missing block is reported");
  await context.close();
});

test("on phones: the sms: link in the form iOS or Android takes, WhatsApp's link, and no QR module", async () => {
  for (const [ua, sms] of [[IPHONE, "sms:12345&body=JOIN"], [ANDROID, "sms:12345?body=JOIN"]]) {
    const page = await open(ua);
    assert.deepEqual(await hrefs(page), [sms, "https://wa.me/14155550100?text=JOIN"]);
    assert.equal(await page.locator("svg.consentry-qr").count(), 0);
    assert.deepEqual(page.qr, [], "phones never fetch the QR module");
    await page.context().close();
  }
});

test("the texted keyword goes through the double opt-in, on SMS and on WhatsApp", async () => {
  const page = await open();
  // One text at a time: the next waits until this one has been answered
  // (the page empties the field then), so the service sees them in order.
  const text = async (body) => {
    await page.locator("#reply").fill(body);
    await page.getByRole("button", { name: "Send" }).click();
    await page.waitForFunction(() => document.getElementById("reply").value === "");
  };
  await page.locator("#from").fill("+14155550199");
  await page.locator("#from").dispatchEvent("change");
  await text("JOIN");
  await page.locator("#state").filter({ hasText: "pending" }).waitFor();
  await page.locator("#messages li").filter({ hasText: "reply Y to confirm" }).waitFor();
  await text("Y");
  await page.locator("#state").filter({ hasText: "subscribed" }).waitFor();
  // WhatsApp: a message that is not the keyword subscribes nobody.
  await page.getByRole("radio", { name: "WhatsApp" }).check();
  await text("hello");
  await page.locator("#state").filter({ hasText: "unsubscribed" }).waitFor();
  await text("START");
  await page.locator("#state").filter({ hasText: "pending" }).waitFor();
  await text("Y");
  await page.locator("#state").filter({ hasText: "subscribed" }).waitFor();
  await text("STOP PROMOTIONS");
  await page.locator("#state").filter({ hasText: /^unsubscribed$/ }).waitFor();
  await page.context().close();
});

test("the WhatsApp page: click-to-chat from the business number, and only the keyword opts in", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${env.server.port}/whatsapp.html`);
  const link = page.locator("#wa-join .consentry-join-link");
  await link.waitFor();
  assert.equal(await link.getAttribute("href"), "https://wa.me/14155550100?text=JOIN");
  assert.match(await page.locator("#wa-join .consentry-programme").textContent(), /Acme Inc\./);
  await page.locator("#from").fill("+14155550177");
  await page.locator("#from").dispatchEvent("change");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("#state").filter({ hasText: "pending" }).waitFor();
  await context.close();
});

test("a long keyword wraps: nothing overflows 320 px, with the link or the QR code, and an SMS keyword with a space is refused", async () => {
  for (const userAgent of [IPHONE, undefined]) await longKeyword(userAgent);
});

async function longKeyword(userAgent) {
  const context = await env.browser.newContext({ ...(userAgent && { userAgent }), viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${env.server.port}/join.html`);
  await page.locator("#sms-join .consentry-join-link").waitFor();
  const keyword = "JOINTHEACMEALERTSPROGRAMMENOWPLEASE".slice(0, 34);
  await page.evaluate(async (keyword) => {
    const host = document.createElement("div");
    host.id = "long-join";
    document.querySelector("main").prepend(host);
    await consentry.renderTextToJoin(host, { number: "12345", keyword, programme: "Acme Alerts",
      disclosure: "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel." });
  }, keyword);
  await page.locator("#long-join .consentry-join-link").waitFor();
  if (!userAgent) await page.locator("#long-join svg.consentry-qr").waitFor();
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    card: document.querySelector("#long-join .consentry-join").getBoundingClientRect().right,
    spill: [...document.querySelectorAll("#long-join .consentry-join *")]
      .filter((e) => e.getBoundingClientRect().right > document.querySelector("#long-join .consentry-join").getBoundingClientRect().right + 0.5)
      .map((e) => e.className || e.tagName),
  }));
  assert.ok(widths.page <= 320, `the page is ${widths.page} px wide`);
  assert.ok(widths.card <= 320, `the card ends at ${widths.card} px`);
  assert.deepEqual(widths.spill, [], "nothing spills out of the card");
  const error = await page.evaluate(() => consentry.renderTextToJoin(document.body, { number: "12345", keyword: "JOIN NOW",
    programme: "Acme Alerts", disclosure: "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel." })
    .then(() => "", (e) => e.message));
  assert.match(error, /^consentry\.renderTextToJoin: options\.keyword is "JOIN NOW"; expected one word of at most 34 characters \(SMS keywords have no spaces\)/);
  await context.close();
}
