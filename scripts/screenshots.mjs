// npm run screenshots: the phone form (inline and modal) in each of its
// states, desktop and 390 px mobile, light and dark, the banner and the
// preference centre (English and German), and the demo's pages,
// taken in Chromium against the real demo server into docs/screenshots/.
// Look at them before shipping a change people see.
import { mkdirSync, rmSync } from "node:fs";
import { startServer, launch, SNIPPET } from "../tests/e2e/harness.mjs";

const OUT = "docs/screenshots";
const DISCLOSURE = "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts " +
  "(up to 4 msgs/month). Consent is not a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel.";
const SIZES = { desktop: { width: 1280, height: 800 }, mobile: { width: 390, height: 844 } };

const F = "form.consentry-phone";
// What each state needs: options, then what to do to reach it.
const STATES = {
  empty: {},
  invalid: { act: async (p) => { await p.fill(`${F} input[type=tel]`, "415 CALL NOW"); await p.click(`${F} button[type=submit]`); } },
  sending: { hold: true, act: submit("415 555 0100"), wait: "form[data-state=sending]" },
  pending: { act: submit("415 555 0101"), wait: "form[data-state=pending]" },
  success: { options: { doubleOptIn: false }, act: submit("415 555 0102"), wait: "form[data-state=success]" },
  error: { options: { endpoint: "/not-configured" }, act: submit("415 555 0103"), wait: "form[data-state=error]" },
};

function submit(number) {
  return async (p) => {
    await p.fill(`${F} input[type=tel]`, number);
    await p.check(`${F} input[type=checkbox]`);
    await p.click(`${F} button[type=submit]`);
  };
}

// The verification form: the number, the code after a wrong one, verified.
// Each run takes a new number (a number signs up once).
let verified = 0;
const V = "form.consentry-verify";
const sendCode = async (p) => {
  await p.fill(`${V} input[type=tel]`, `415 555 ${String(2000 + verified++).padStart(4, "0")}`);
  await p.click(`${V} button[type=submit]`);
  await p.waitForSelector(`${V}[data-state=code]`);
};
const VERIFY_STATES = {
  number: {},
  code: {
    act: async (p) => {
      await sendCode(p);
      await p.fill(`${V} .consentry-code`, "000000");
      await p.click(`${V} .consentry-step:not([hidden]) button[type=submit]`);
      await p.waitForSelector(`${V} .consentry-code[aria-invalid=true]`);
    },
  },
  verified: {
    act: async (p) => {
      await sendCode(p);
      const phone = await p.evaluate(() => document.querySelector(".consentry-sent").textContent.match(/\+\d+/)[0]);
      const code = await p.evaluate(async (n) => (await (await fetch(`/sandbox/outbox?phone=${encodeURIComponent(n)}`)).json()).messages.at(-1).body.match(/\d{6}/)[0], phone);
      await p.fill(`${V} .consentry-code`, code);
      await p.click(`${V} .consentry-step:not([hidden]) button[type=submit]`);
      await p.waitForSelector(`${V}[data-state=success]`);
    },
  },
};

const page = (scheme) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Consentry phone form</title>
<style>body{margin:0;padding:32px 16px;min-height:100vh;box-sizing:border-box;font-family:system-ui,sans-serif;
background:${scheme === "dark" ? "#0b0f19" : "#eef0f5"}}#f{max-width:28rem;margin:0 auto}</style>
<script>window.consentryConfig = { doesOptInApply: true };\n${SNIPPET}</script></head>
<body><div id="f"></div></body></html>`;

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const server = await startServer();
const base = `http://127.0.0.1:${server.port}`;
const browser = await launch();
let count = 0;
try {
  for (const [size, viewport] of Object.entries(SIZES)) {
    for (const scheme of ["light", "dark"]) {
      for (const mode of ["inline", "modal"]) {
        for (const [state, how] of Object.entries(STATES)) {
          const context = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: 1 });
          const p = await context.newPage();
          if (how.hold) await context.route("**/subscription/status/set", () => {});
          await p.goto(`${base}/screenshot.html`);
          await p.setContent(page(scheme));
          await p.evaluate(([mode, options, disclosure]) => consentry.renderPhoneCapture(mode === "modal" ? document.body : document.getElementById("f"), {
            subscriptionGroupId: "acme-sms", endpoint: location.origin, programme: "Acme Alerts", disclosure,
            countries: ["US", "CA", "GB", "KR", "JP"], mode, ...options,
          }), [mode, how.options || {}, DISCLOSURE]);
          await p.waitForSelector("form.consentry-phone");
          if (how.act) await how.act(p);
          if (how.wait) await p.waitForSelector(how.wait);
          await p.evaluate(() => document.activeElement && document.activeElement.blur());
          // Inline: the form with a margin of page around it; modal: the screen.
          const box = mode === "inline" && (await p.locator("#f").boundingBox());
          const clip = box && { x: Math.max(0, box.x - 16), y: Math.max(0, box.y - 16), width: box.width + 32, height: box.height + 32 };
          await p.screenshot({ path: `${OUT}/${mode}-${state}-${size}-${scheme}.png`, animations: "disabled", ...(clip && { clip }) });
          count++;
          await context.close();
        }
      }
    }
    for (const scheme of ["light", "dark"]) {
      for (const [state, how] of Object.entries(VERIFY_STATES)) {
        const context = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: 1 });
        const p = await context.newPage();
        await p.goto(`${base}/screenshot.html`);
        await p.setContent(page(scheme));
        await p.waitForFunction(() => window.consentry.renderPhoneVerification);
        await p.evaluate(() => consentry.renderPhoneVerification(document.getElementById("f"), { endpoint: location.origin, countries: ["US", "CA", "GB", "KR", "JP"] }));
        await p.waitForSelector(V);
        if (how.act) await how.act(p);
        await p.evaluate(() => document.activeElement && document.activeElement.blur());
        const box = await p.locator("#f").boundingBox();
        const clip = box && { x: Math.max(0, box.x - 16), y: Math.max(0, box.y - 16), width: box.width + 32, height: box.height + 32 };
        await p.screenshot({ path: `${OUT}/verify-${state}-${size}-${scheme}.png`, animations: "disabled", ...(clip && { clip }) });
        count++;
        await context.close();
      }
    }
    // Text-to-join with the longest keyword allowed: it wraps in its card.
    {
      const context = await browser.newContext({ viewport });
      const p = await context.newPage();
      await p.goto(`${base}/join.html`);
      await p.waitForFunction(() => window.consentry && window.consentry.renderTextToJoin);
      await p.evaluate(async (disclosure) => {
        const host = document.createElement("div");
        host.id = "long-join";
        document.querySelector("main").prepend(host);
        await consentry.renderTextToJoin(host, { number: "12345", keyword: "JOINTHEACMEALERTSPROGRAMMENOWPLEAS", programme: "Acme Alerts", disclosure });
      }, "Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to cancel.");
      await p.locator("#long-join .consentry-join").waitFor();
      await p.waitForLoadState("networkidle");
      await p.locator("#long-join").screenshot({ path: `${OUT}/join-long-keyword-${size}.png` });
      count++;
      await context.close();
    }
    // The banner and the preference centre on the demo's shop page, light
    // and dark, in English and German.
    for (const scheme of ["light", "dark"]) {
      for (const lang of ["en", "de"]) {
        const context = await browser.newContext({ viewport, colorScheme: scheme });
        const p = await context.newPage();
        await p.goto(`${base}/banner.html?region=DE&lang=${lang}&layout=${size == "desktop" ? "bar" : "box"}`);
        await p.locator("section.consentry-ui").waitFor();
        await p.waitForTimeout(300);
        await p.screenshot({ path: `${OUT}/banner-${lang}-${size}-${scheme}.png` });
        await p.click("[data-b=customise]");
        await p.locator("dialog.consentry-ui[open]").waitFor();
        await p.screenshot({ path: `${OUT}/preferences-${lang}-${size}-${scheme}.png` });
        count += 2;
        await context.close();
      }
    }
    for (const path of ["index", "banner", "adobe", "integrations", "phone", "register", "join", "whatsapp", "inapp", "signup", "admin"]) {
      const context = await browser.newContext({ viewport });
      const p = await context.newPage();
      await p.goto(`${base}/${path === "index" ? "" : path + ".html"}`);
      await p.waitForFunction(() => window.consentry && window.consentry.renderPhoneCapture);
      await p.waitForLoadState("networkidle");
      await p.screenshot({ path: `${OUT}/demo-${path}-${size}.png`, fullPage: true });
      count++;
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`${count} screenshots in ${OUT}/`);
