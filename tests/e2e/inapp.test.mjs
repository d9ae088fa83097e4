// The phone form in a real Braze HTML in-app message (issue 16): the demo's
// /inapp.html runs Braze's own Web SDK (@braze/web-sdk from npm) with its
// baseUrl at the sandbox, shows an HTML in-app message carrying the form,
// and the form subscribes through the SDK's brazeBridge. The test fills
// and submits it in Chromium, reads the SDK's own outgoing data request,
// and checks that the message closed and the sandbox started the double
// opt-in. No imitation of the bridge: the SDK builds it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./harness.mjs";

const env = setup();

test("the form in a Braze HTML in-app message subscribes through the SDK and closes the message", async () => {
  const site = `http://127.0.0.1:${env.server.port}`;
  const page = await env.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The SDK's data requests, as it sends them.
  const sent = [];
  page.on("request", (r) => r.url().startsWith(`${site}/api/v3/data`) && sent.push(JSON.parse(r.postData() || "{}")));
  await page.goto(`${site}/inapp.html`);
  // The visitor made a cookie choice on the host page: its consent id.
  await page.waitForFunction(() => typeof window.consentry?.renderPhoneCapture == "function");
  const consentId = await page.evaluate(() => consentry.approve("sms").consentRecord?.consentId);
  assert.match(consentId ?? "", /^\w{8,}$/, "the host page has a consent id");
  await page.getByRole("button", { name: "Show the in-app message" }).click();
  const message = page.frameLocator("iframe.ab-html-message");
  await message.getByLabel("Mobile number").fill("415 555 0142");
  await message.getByRole("checkbox").check();
  await message.getByRole("button", { name: "Subscribe" }).click();
  await message.getByText("We sent a text to +14155550142. Reply Y to confirm.").waitFor();
  // The message closes on its own.
  await page.locator("iframe.ab-html-message").waitFor({ state: "detached", timeout: 10_000 });

  const user = await page.locator("#user").textContent();
  const all = () => sent.flatMap((b) => [...(b.attributes || []), ...(b.events || [])]);
  for (let i = 0; i < 50 && !all().some((x) => x.name === "sgu"); i++) await page.waitForTimeout(100);
  const attribute = all().find((a) => a.phone);
  assert.deepEqual([attribute?.user_id, attribute?.phone], [user, "+14155550142"]);
  const subscription = all().find((e) => e.name === "sgu");
  assert.deepEqual(subscription?.data, { group_id: "acme-sms", status: "subscribed" });
  // The consent record went along as an event, the disclosure as its hash.
  const consent = all().find((e) => e.name === "ce" && e.data?.n === "consentry_sms_consent");
  assert.match(consent?.data?.p?.disclosure_sha256 ?? "", /^[0-9a-f]{64}$/);
  // It names the host page and the browser's consent id, not the
  // message's about:srcdoc frame.
  assert.deepEqual([consent.data.p.page_url, consent.data.p.consent_id], [`${site}/inapp.html`, consentId]);
  // (The SDK logs impressions and clicks only of messages Braze triggered,
  // which carry a trigger id; this one was made on the page.)

  // The sandbox took the SDK's subscription into the double opt-in: the
  // prompt went out, and Y confirms it.
  const status = async () => (await (await fetch(`${site}/subscription/status/get?phone=%2B14155550142&subscription_group_id=acme-sms`)).json()).subscription_groups[0];
  // (The SDK's request was sent; its answer may still be on the way.)
  for (let i = 0; i < 50 && !(await status()).pending_double_opt_in; i++) await page.waitForTimeout(100);
  assert.equal((await status()).pending_double_opt_in, true);
  const outbox = await (await fetch(`${site}/sandbox/outbox?phone=%2B14155550142`)).json();
  assert.match(outbox.messages[0].body, /reply Y to confirm/);
  await fetch(`${site}/sandbox/inbound`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ phone: "+14155550142", subscription_group_id: "acme-sms", body: "Y" }) });
  assert.equal((await status()).subscription_state, "subscribed");
  const log = await (await fetch(`${site}/sandbox/consent-log?phone=%2B14155550142`)).json();
  assert.equal(log.entries[0].source, "sdk");
  assert.deepEqual(errors, []);
  await page.close();
});
