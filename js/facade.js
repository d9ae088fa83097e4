// Upgrades the stub object in place into the real API: every method forwards
// to the wasm `Consentry` (which validates and throws), chainable ones return
// the object, and the queued calls are replayed in order.
import init, { Consentry } from "../build/consentry.js";

const CHAINED = ["approve", "deny", "approveAll", "denyAll", "complete", "on", "off", "memoizeContent"];
const GETTERS = ["permissions", "status", "doesOptInApply", "isIabContext", "consentRecord"];

// The phone form is a module of its own, fetched the first time a page
// renders a form or has an undelivered submission in its outbox.
const OUTBOX_KEY = "consentry-outbox";
let form;
function loadForm(base) {
  form = form || import(base + "consentry-form.mjs").then(async (m) => {
    await m.default({ module_or_path: base + "consentry-form_bg.wasm" });
    return m;
  });
  return form;
}

export async function start(c, config, wasm, base) {
  if (c._l) throw new Error("consentry.init: already started");
  c._l = 1;
  try {
    try {
      await init({ module_or_path: await wasm });
    } catch (e) {
      throw new Error(`consentry.init: the wasm could not be loaded (${e && e.message}); expected a URL, Response or promise of one that serves consentry_bg.wasm`);
    }
    upgrade(c, new Consentry(config));
    c.renderPhoneCapture = (target, options) => loadForm(base).then((m) => m.render(target, options));
  } catch (e) {
    c._l = 0;
    throw e;
  }
  try {
    if (localStorage.getItem(OUTBOX_KEY)) loadForm(base).then((m) => m.flush(), (e) => console.error("consentry: the outbox could not be delivered", e));
  } catch (e) {
    // No storage, no outbox.
  }
  const queue = c._q.splice(0);
  for (const [m, args, slot] of queue) {
    if (slot.x) continue;
    try {
      slot.f = c[m].apply(c, args);
    } catch (e) {
      console.error(e);
    }
  }
  window.dispatchEvent(new CustomEvent("consentry:ready"));
  return c;
}

function upgrade(c, inner) {
  for (const m of CHAINED) c[m] = (a, b, d) => (inner[m](a, b, d), c);
  c.isApproved = (cats) => inner.isApproved(cats);
  c.isPreApproved = (cats) => inner.isPreApproved(cats);
  c.fetchPermissions = (cb, auto) => {
    const id = inner.fetchPermissions(cb, auto);
    return id ? () => inner.unsubscribe(id) : undefined;
  };
  c.registerPlugin = (p) => (inner.registerPlugin(p, c), c);
  c.execute = (options) => inner.execute(options);
  c.getMemoizedContent = (key) => inner.getMemoizedContent(key);
  const prop = (name, get) => Object.defineProperty(c, name, { get, enumerable: true, configurable: true });
  for (const name of GETTERS) prop(name, () => inner[name]);
  prop("isPending", () => inner.status == "pending");
  prop("isComplete", () => inner.status == "complete");
  // Categories never change after start: one frozen object, shared with Adobe's name.
  const categories = Object.freeze(inner.Categories);
  prop("Categories", () => categories);
  window.adobe.OptInCategories = categories;
}
