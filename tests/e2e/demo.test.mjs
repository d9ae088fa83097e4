// The demo site as a visitor sees it: every page loads without a console
// error and fits a 390 px phone screen without scrolling sideways; the
// sandbox API answers beside it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "./harness.mjs";

const env = setup();
const PAGES = ["/", "/banner.html", "/adobe.html", "/integrations.html", "/us.html", "/phone.html", "/register.html", "/join.html", "/whatsapp.html", "/inapp.html", "/signup.html", "/admin.html"];

for (const width of [390, 1280]) {
  test(`every demo page at ${width} px: no horizontal overflow, no console error`, async () => {
    const context = await env.browser.newContext({ viewport: { width, height: 844 } });
    for (const path of PAGES) {
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
      await page.goto(`http://127.0.0.1:${env.server.port}${path}`);
      await page.waitForFunction(() => window.consentry && window.consentry.renderPhoneCapture);
      await page.waitForLoadState("networkidle");
      const { scroll, client, wide } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        // The elements that stick out, to name them when this fails.
        wide: [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .slice(0, 5)
          .map((e) => e.tagName + (e.id ? "#" + e.id : "")),
      }));
      assert.ok(scroll <= client, `${path} is ${scroll} px wide in a ${client} px viewport: ${wide.join(", ")}`);
      assert.equal(await page.locator("meta[name=viewport]").count(), 1, `${path} has a viewport meta`);
      assert.deepEqual(errors, [], path);
      await page.close();
    }
    await context.close();
  });
}

test("the demo server serves the sandbox API beside the pages", async () => {
  const r = await fetch(`http://127.0.0.1:${env.server.port}/subscription/status/get?phone=+14155552671`);
  assert.equal(r.status, 200);
  assert.equal((await r.json()).phone, "+14155552671");
  const quota = await (await fetch(`http://127.0.0.1:${env.server.port}/sandbox/quota`)).json();
  assert.equal(quota.ticket_size, 1000);
});

test("idle sockets (a browser's preconnects) hold up no request", async () => {
  const { connect } = await import("node:net");
  const idle = await Promise.all(
    Array.from({ length: 16 }, () => new Promise((ok) => { const s = connect(env.server.port, "127.0.0.1", () => ok(s)); })),
  );
  try {
    for (let i = 0; i < 40; i++) {
      // A hang shows as an abort; the answer itself comes in milliseconds.
      const r = await fetch(`http://127.0.0.1:${env.server.port}${PAGES[i % PAGES.length]}`, { signal: AbortSignal.timeout(10000) });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
  } finally {
    for (const s of idle) s.destroy();
  }
});
