// The pages the benchmark loads: one per contender, each the same shell with
// the library installed the way its documentation says, and one marked
// moment, `answer`, when a tag can get the visitor's consent from it (on a
// first visit: the defaults; on a return visit: the stored choice). `check`
// is the call a tag makes to ask; `accept` the visitor accepting everything.
// With `tag`, the page holds a tag gated on analytics the way the library's
// documentation says, which marks `tag` when it runs (on a return visit of
// a visitor who accepted).
import { readFileSync } from "node:fs";

const SNIPPET = readFileSync(new URL("../dist/snippet.min.js", import.meta.url), "utf8");

const FORM_OPTIONS = `{
  subscriptionGroupId: "acme-sms", endpoint: "/api", programme: "Acme Alerts",
  disclosure: "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts (up to 4 msgs/month). Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
  countries: ["US", "GB", "KR"],
}`;

export const CONTENDERS = [
  {
    name: "Consentry",
    // The inline snippet counts as transfer: every page carries it.
    inline: SNIPPET,
    // The snippet answers at parse time when it can (its permissions are
    // filled); otherwise the answer comes when the gate has started. The
    // tag as the README shows it.
    head: `<script>window.consentryConfig = { doesOptInApply: true, isOptInStorageEnabled: true };
${SNIPPET}
const early = Object.keys(consentry.permissions).length > 0;
if (early) performance.mark("answer");
addEventListener("consentry:ready", () => { early || (consentry.isApproved("aa"), performance.mark("answer")); performance.mark("ready"); }, { once: true });
if (consentry.isApproved("aa")) performance.mark("tag");
else consentry.fetchPermissions((permissions) => permissions.aa && performance.mark("tag"));</script>`,
    body: "",
    // Every load also waits for the gate to have started (its bytes, its
    // tasks), and the visitor accepts through it.
    done: "ready",
    tag: true,
    check: `() => consentry.isApproved("aa")`,
    accept: `() => new Promise((resolve) => consentry.approveAll().fetchPermissions(resolve))`,
  },
  {
    name: "Consentry + form",
    inline: SNIPPET,
    head: `<script>window.consentryConfig = { doesOptInApply: true, isOptInStorageEnabled: true };
addEventListener("consentry:ready", () => {
  consentry.isApproved("aa");
  performance.mark("answer");
  consentry.renderPhoneCapture(document.getElementById("signup"), ${FORM_OPTIONS}).then(() => performance.mark("done"));
}, { once: true });
${SNIPPET}</script>`,
    body: `<div id="signup"></div>`,
    done: "done",
    check: `() => consentry.isApproved("aa")`,
    accept: `() => consentry.approveAll()`,
  },
  {
    name: "Consentry + banner",
    // A first visit in the EU: the banner's module, stylesheet and English
    // texts come on top of the gate, only because this visitor must choose.
    inline: SNIPPET,
    head: `<script>window.consentryConfig = { categories: ["necessary", "analytics"], isOptInStorageEnabled: true,
  ui: { necessary: ["necessary"], regions: { EU: "opt-in", US: "opt-out" }, region: "DE" } };
${SNIPPET}
addEventListener("consentry:ready", () => { consentry.isApproved("analytics"); performance.mark("answer"); }, { once: true });</script>`,
    body: "",
    banner: "section.consentry-ui",
    check: `() => consentry.isApproved("analytics")`,
    accept: `() => consentry.approveAll()`,
  },
  {
    name: "vanilla-cookieconsent",
    head: `<link rel="stylesheet" href="/nm/vanilla-cookieconsent/dist/cookieconsent.css">`,
    body: `<script type="text/plain" data-category="analytics">performance.mark("tag");</script>
<script src="/nm/vanilla-cookieconsent/dist/cookieconsent.umd.js"></script>
<script>CookieConsent.run({
  // Playwright's Chromium reports navigator.webdriver: without this the
  // library treats every load as a bot's and skips reading the choice.
  hideFromBots: false,
  categories: { necessary: { enabled: true, readOnly: true }, analytics: {} },
  language: { default: "en", translations: { en: {
    consentModal: { title: "Cookies", description: "We use cookies.", acceptAllBtn: "Accept all", acceptNecessaryBtn: "Reject all" },
    preferencesModal: { title: "Preferences", acceptAllBtn: "Accept all", acceptNecessaryBtn: "Reject all", savePreferencesBtn: "Save", sections: [] },
  } } },
}).then(() => { CookieConsent.acceptedCategory("analytics"); performance.mark("answer"); });</script>`,
    tag: true,
    banner: "#cc-main .cm",
    check: `() => CookieConsent.acceptedCategory("analytics")`,
    accept: `() => CookieConsent.acceptCategory("all")`,
  },
  {
    name: "klaro",
    head: `<script>window.klaroConfig = {
  version: 1, elementID: "klaro", storageMethod: "cookie", cookieName: "klaro", acceptAll: true,
  services: [{ name: "analytics", title: "Analytics", purposes: ["analytics"] }],
};</script>`,
    body: `<script type="text/plain" data-type="text/javascript" data-name="analytics">performance.mark("tag");</script>
<script src="/nm/klaro/dist/klaro.js"></script>
<script>klaro.getManager().getConsent("analytics"); performance.mark("answer");</script>`,
    tag: true,
    banner: ".klaro .cookie-notice",
    check: `(m => () => m.getConsent("analytics"))(klaro.getManager())`,
    accept: `() => { const m = klaro.getManager(); m.updateConsent("analytics", true); m.saveAndApplyConsents(); }`,
  },
  {
    name: "Osano cookieconsent",
    head: `<link rel="stylesheet" href="/nm/cookieconsent/build/cookieconsent.min.css">`,
    body: `<script src="/nm/cookieconsent/build/cookieconsent.min.js"></script>
<script>cookieconsent.initialise({ type: "opt-in", content: { message: "We use cookies." } }, (popup) => {
  window.ccPopup = popup; popup.hasConsented(); performance.mark("answer");
  if (popup.hasConsented()) performance.mark("tag");
});</script>`,
    tag: true,
    check: `() => ccPopup.hasConsented()`,
    accept: `() => ccPopup.setStatus("allow")`,
  },
];

// TC string decoding: Consentry's decodeTCString (through its on-demand
// module, so a promise) against IAB Tech Lab's own library.
export const DECODERS = [
  { name: "Consentry", contender: "Consentry", decode: `(s) => consentry.decodeTCString(s)`, async: true },
  { name: "@iabtechlabtcf/core", page: "iab-core", decode: `(s) => iab.TCString.decode(s)`, async: false },
];

// Every page reports its marks on the console, so the harness can wait for
// them without injecting scripts of its own (which would show in the trace).
const REPORT = `<script>new PerformanceObserver((l) => l.getEntries().forEach((e) => console.debug("mark " + e.name + " " + e.startTime))).observe({ type: "mark" });</script>`;

// With a banner: the mark "banner" at the first frame its element is in
// the page with a size and visible (found by the contender's selector once
// the page changes, then checked at each frame).
const BANNER = (selector) => `<script>new MutationObserver((l, o) => {
  if (!document.querySelector(${JSON.stringify(selector)})) return;
  o.disconnect();
  (function frame() {
    const e = document.querySelector(${JSON.stringify(selector)});
    if (e && e.getBoundingClientRect().height > 0 && getComputedStyle(e).visibility == "visible") performance.mark("banner");
    else requestAnimationFrame(frame);
  })();
}).observe(document.documentElement, { childList: true, subtree: true });</script>`;

export function page(c) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${c.name}</title>${REPORT}${c.banner ? BANNER(c.banner) : ""}${c.head || ""}</head>
<body><main><h1>A page</h1><p>Some text.</p></main>${c.body || ""}</body></html>`;
}

// The page for @iabtechlabtcf/core: the demo's bundle of the IAB's libraries.
export const IAB_CORE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>core</title>
${REPORT}<script src="/vendor/iab-cmp.js"></script><script>performance.mark("answer")</script></head><body></body></html>`;

export const BLANK_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>blank</title>
${REPORT}<script>performance.mark("answer")</script></head><body><main><h1>A page</h1><p>Some text.</p></main></body></html>`;
