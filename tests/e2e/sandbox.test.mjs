// End-to-end: the sandbox demo page in Chromium against the real service
// and a temporary SQLite file: subscribe with double opt-in -> pending ->
// prompt on the simulated phone -> reply Y -> subscribed -> STOP ->
// confirmation, then unsubscribed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./harness.mjs";

const env = setup();

test("the double-opt-in keyword workflow on the simulated phone", async () => {
  const page = await env.browser.newPage();
  await page.goto(`http://127.0.0.1:${env.server.port}/phone.html`);
  await page.fill("#phone", "+14155550199");
  await page.click("#subscribe");
  await page.waitForFunction(() => document.querySelectorAll("#messages li").length === 1);
  assert.match(await page.textContent("#response"), /^201 /);
  assert.equal(await page.textContent("#state"), "pending (reads as unsubscribed)");
  assert.match(await page.textContent("#messages li"), /reply Y to confirm/);

  await page.fill("#reply", "Y");
  await page.click("#send");
  await page.waitForFunction(() => document.querySelectorAll("#messages li").length === 2);
  assert.equal(await page.textContent("#state"), "subscribed");

  await page.fill("#reply", "STOP");
  await page.click("#send");
  await page.waitForFunction(() => document.querySelectorAll("#messages li").length === 3);
  assert.match(await page.textContent("#messages li:nth-child(3)"), /you are unsubscribed/);
  assert.equal(await page.textContent("#state"), "unsubscribed");
  assert.equal(await page.textContent("#quota"), "997 of 1000");
  await page.close();
});
