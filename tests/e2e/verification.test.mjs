// Issue 15 in Chromium against the demo server (with the sandbox clock):
// sign up on /signup.html with the code read from the simulated phone's
// outbox, log out, log in again with a new code, the quota down by two;
// the verification form's refusals, languages and accessibility; and a
// message to members scheduled on /admin.html that reaches only the
// subscribed numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";
import { setup } from "./harness.mjs";

const env = setup(() => {}, { clock: true });
const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const site = () => `http://127.0.0.1:${env.server.port}`;
const api = async (path, init) => (await fetch(site() + path, init)).json();
const post = (path, body) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const advance = (ms) => post("/sandbox/clock", { advance_ms: ms });

async function newPage(path, options = {}) {
  const context = await env.browser.newContext(options);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  // (A refusal's 4xx is logged by Chromium as a failed resource: expected here.)
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && page.errors.push(m.text()));
  await page.goto(site() + path);
  return page;
}

// The 6-digit code of the latest text to `phone`.
async function code(phone) {
  const { messages } = await api(`/sandbox/outbox?phone=${encodeURIComponent(phone)}`);
  return messages.at(-1).body.match(/\d{6}/)[0];
}

test("sign up with a texted code, log out, log in again with a new code: the quota pays for two", async () => {
  const phone = "+14155550142";
  const before = await api("/sandbox/quota");
  const page = await newPage("/signup.html");
  const form = page.locator(".consentry-verify");
  await form.getByLabel("Mobile number").fill("415 555 0142");
  await form.getByRole("button", { name: "Send code" }).click();
  await form.getByText(`We texted a 6-digit code to ${phone}.`).waitFor();
  const codeInput = form.getByLabel("Code from the text");
  assert.equal(await codeInput.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await codeInput.getAttribute("inputmode"), "numeric");
  // The resend button counts down.
  assert.match(await form.locator(".consentry-resend").textContent(), /^New code in \d+ s$/);
  // A wrong code is refused with the tries left.
  const first = await code(phone);
  await codeInput.fill(first === "000000" ? "000001" : "000000");
  await form.getByRole("button", { name: "Verify" }).click();
  await form.getByText("That code is not right. 4 tries left.").waitFor();
  assert.equal(await codeInput.getAttribute("aria-invalid"), "true");
  await codeInput.fill(first);
  await form.getByRole("button", { name: "Verify" }).click();
  await page.getByText(`Signed in as ${phone}`).waitFor();

  // Log out; logging in again needs a new code (after the 30 s between codes).
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in with your mobile number" }).waitFor();
  await advance(30_000);
  await form.getByLabel("Mobile number").fill("4155550142");
  await form.getByRole("button", { name: "Send code" }).click();
  await form.getByText(`We texted a 6-digit code to ${phone}.`).waitFor();
  const second = await code(phone);
  // The first code does not log in again.
  await form.getByLabel("Code from the text").fill(first);
  await form.getByRole("button", { name: "Verify" }).click();
  if (first !== second) await form.locator(".consentry-error").filter({ hasText: "not right" }).waitFor();
  await form.getByLabel("Code from the text").fill(second);
  await form.getByRole("button", { name: "Verify" }).click();
  await page.getByText(`Signed in as ${phone}`).waitFor();
  const after = await api("/sandbox/quota");
  assert.equal(before.remaining - after.remaining, 2);
  assert.equal(after.used.verification - before.used.verification, 2);
  assert.deepEqual(page.errors, []);
});

test("the token verifies with the service's public key (JWKS) in Node, as a site's backend would", async () => {
  const phone = "+14155550177";
  await post("/verify/start", { phone, purpose: "signup" });
  const answer = await post("/verify/check", { phone, code: await code(phone) });
  const [header, claims, signature] = answer.token.split(".");
  const { keys } = await api("/verify/jwks.json");
  const key = createPublicKey({ key: keys[0], format: "jwk" });
  assert.ok(verify(null, Buffer.from(`${header}.${claims}`), key, Buffer.from(signature, "base64url")));
  const payload = JSON.parse(Buffer.from(claims, "base64url").toString());
  assert.equal(payload.sub, phone);
  assert.equal(JSON.parse(Buffer.from(header, "base64url").toString()).alg, "EdDSA");
  // A changed claim does not verify.
  const forged = Buffer.from(JSON.stringify({ ...payload, sub: "+14155550100" })).toString("base64url");
  assert.ok(!verify(null, Buffer.from(`${header}.${forged}`), key, Buffer.from(signature, "base64url")));
});

test("the verification form: refusals at the right field, Korean and Japanese, a bad option, and no axe-core violation", async () => {
  const page = await newPage("/signup.html");
  await page.waitForFunction(() => window.consentry.renderPhoneVerification);
  const form = page.locator(".consentry-verify");
  // A landline cannot receive the code: said at the number.
  await form.getByLabel("Country").selectOption("GB");
  await form.getByLabel("Mobile number").fill("020 7946 0000");
  await form.getByRole("button", { name: "Send code" }).click();
  await form.getByText("This number cannot receive texts. Please check it.").waitFor();
  await page.addScriptTag({ content: AXE });
  const violations = (sel) => page.evaluate(async (s) => (await window.axe.run(s)).violations.map((v) => `${v.id}: ${v.help}`), sel);
  assert.deepEqual(await violations(".consentry-verify"), []);
  await form.getByLabel("Country").selectOption("US");
  await form.getByLabel("Mobile number").fill("415 555 0199");
  await form.getByRole("button", { name: "Send code" }).click();
  await form.getByLabel("Code from the text").fill("12");
  await form.getByRole("button", { name: "Verify" }).click();
  await form.getByText("Enter the 6 digits from the text.").waitFor();
  assert.deepEqual(await violations(".consentry-verify"), []);
  // Korean and Japanese.
  const titles = await page.evaluate(async () => {
    const out = [];
    for (const locale of ["ko", "ja"]) {
      const div = document.body.appendChild(document.createElement("div"));
      await window.consentry.renderPhoneVerification(div, { endpoint: "/", locale, purpose: "login" });
      out.push([div.querySelector("h2").textContent, div.querySelector(".consentry-submit").textContent]);
    }
    return out;
  });
  assert.deepEqual(titles, [["휴대폰 번호로 로그인", "인증번호 받기"], ["携帯電話番号でログイン", "コードを送信"]]);
  const error = await page.evaluate(() =>
    window.consentry.renderPhoneVerification(document.body, { endpoint: "/", purpose: "register" }).then(() => "", (e) => e.message));
  assert.equal(error, 'consentry.renderPhoneVerification: options.purpose is "register"; expected "signup" or "login"');
});

test("a message scheduled on the admin page reaches only the subscribed numbers", async () => {
  const subscribed = ["+14155550301", "+14155550302"];
  for (const phone of subscribed) {
    await post("/subscription/status/set", { subscription_group_id: "acme-sms", subscription_state: "subscribed", phone: [phone], use_double_opt_in_logic: true });
    await post("/sandbox/inbound", { phone, subscription_group_id: "acme-sms", body: "Y" });
  }
  const pending = "+14155550303";
  await post("/subscription/status/set", { subscription_group_id: "acme-sms", subscription_state: "subscribed", phone: [pending], use_double_opt_in_logic: true });
  // The sandbox's clock to 19:00 UTC, daytime in every US zone.
  const { now } = await api("/sandbox/clock");
  const day = 86_400_000;
  const at19 = now - (now % day) + 19 * 3_600_000;
  await advance((at19 > now ? at19 : at19 + day) - now);
  const send = new Date((await api("/sandbox/clock")).now + 3_600_000);
  const quota = (await api("/sandbox/quota")).remaining;

  const page = await newPage("/admin.html", { timezoneId: "UTC" });
  await page.getByRole("cell", { name: pending, exact: true }).waitFor();
  const text = "Acme: winter sale today. Reply STOP to opt out.";
  await page.getByLabel("Text").fill(text);
  await page.getByText(`${text.length} / 79 characters · 1 segment per recipient`).waitFor();
  await page.getByLabel("Send at").fill(send.toISOString().slice(0, 16));
  await page.getByRole("button", { name: "Send to members" }).click();
  await page.locator("#result").filter({ hasText: "201" }).waitFor();
  const { messages } = await api("/sandbox/messages");
  assert.equal(messages[0].status, "scheduled");
  await advance(3_600_000);
  const received = async (phone) => (await api(`/sandbox/outbox?phone=${encodeURIComponent(phone)}`)).messages.some((m) => m.body === text);
  for (const phone of subscribed) assert.ok(await received(phone), phone);
  assert.ok(!(await received(pending)), "a pending number never receives it");
  assert.equal((await api("/sandbox/quota")).remaining, quota - 2);
  await page.reload();
  await page.locator("#sent li").filter({ hasText: `${pending}: refused` }).first().waitFor();
  assert.deepEqual(page.errors, []);
});
