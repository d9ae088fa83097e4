// Upgrades the stub object in place into the real API: every method forwards
// to the wasm `Consentry` (which validates and throws), chainable ones return
// the object, and the queued calls are replayed in order.
import init, { Consentry } from "../build/consentry.js";
import { stub } from "./stub.js";
import { integrations } from "./integrations.js";
import { io } from "./storage.js";

const CHAINED = ["approve", "deny", "approveAll", "denyAll", "complete", "on", "off", "memoizeContent"];
const GETTERS = ["permissions", "status", "doesOptInApply", "isIabContext", "consentRecord"];

// The phone form and the IAB TCF code are modules of their own, fetched
// the first time a page needs them. `locate(name)` (from the entry) starts
// the module's import and gives its wasm's and stylesheet's URLs.
const OUTBOX_KEY = "consentry-outbox";
const modules = {};
let locate;
function load(name) {
  return (modules[name] = modules[name] || (async () => {
    const [module, wasm, css] = locate(name);
    const m = await module;
    await m.default({ module_or_path: wasm });
    return { m, css };
  })().catch((e) => {
    // A failed download is tried again on the next call.
    delete modules[name];
    throw e;
  }));
}

// With isIabContext: the CMP listener, and the iabPlugin Adobe's ID service
// calls; its calls wait for the module.
function iab(c, inner, config) {
  const cmp = load("consentry-iab").then(({ m }) => {
    const cmp = new m.Cmp((config && config.tcf) ?? null, Object.keys(inner.permissions), c, (choices) => inner.applyCmp(choices));
    cmp.listen();
    return cmp;
  });
  cmp.catch((e) => console.error("consentry: TCF could not start; the pre-opt-in defaults stay.", e));
  const call = (method) => (options) => void cmp.then((m) => m[method](options)).catch((e) => console.error(e));
  c.registerPlugin({ name: "iabPlugin", onRegister() {}, fetchConsentData: call("fetchConsentData"), isApproved: call("isApproved") });
}

export async function start(c, config, wasm, locator) {
  let inner, page;
  if (c._l) throw new Error("consentry.init: already started");
  c._l = 1;
  locate = locator;
  try {
    try {
      await init({ module_or_path: await wasm });
    } catch (e) {
      throw new Error(`consentry.init: the wasm could not be loaded (${e && e.message}); expected a URL, Response or promise of one that serves consentry_bg.wasm`);
    }
    // One task for compiling the wasm, the next for starting it: no single
    // long task on the page's main thread. A message, not a timer: timers
    // in background tabs wait up to a second.
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      channel.port2.postMessage(0);
    });
    // Without the inline snippet, Consent Mode's default is sent now.
    stub(window, document, 0, config);
    // The gate calls `effects` at every commit; `page` carries them out.
    upgrade(c, (inner = new Consentry(config, () => page.effects(), io)));
    page = integrations(inner);
    c.renderPhoneCapture = (target, options) => {
      // Read once, now: a change to the options after this call changes nothing.
      let o;
      try {
        o = snapshot(options);
      } catch (e) {
        return Promise.reject(new Error(`consentry.renderPhoneCapture: options could not be read (${e && e.message})`));
      }
      return load("consentry-form").then(({ m, css }) => m.render(target, o, css));
    };
    c.decodeTCString = (s) => load("consentry-iab").then(({ m }) => m.decodeTCString(s));
    if (inner.isIabContext && inner.doesOptInApply) iab(c, inner, config);
  } catch (e) {
    c._l = 0;
    throw e;
  }
  try {
    if (localStorage.getItem(OUTBOX_KEY)) load("consentry-form").then(({ m }) => m.flush(), (e) => console.error("consentry: the outbox could not be delivered", e));
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
    // renderPhoneCapture and decodeTCString: the promise the stub gave out.
    if (slot.r) slot.r(slot.f);
  }
  page.effects();
  page.observe();
  window.dispatchEvent(new CustomEvent("consentry:ready"));
  return c;
}

function upgrade(c, inner) {
  for (const m of CHAINED) c[m] = (a, b, d) => (inner[m](a, b, d), c);
  // One category name, the call tags make most: answered in JS from the
  // gate's live, prototype-less copy of the committed permissions (an
  // unknown name: false, as the gate says).
  const approved = inner.approved;
  c.isApproved = (cats) => (typeof cats == "string" ? approved[cats] === true : inner.isApproved(cats));
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

// A copy of plain objects and arrays (functions and other values as they are).
function snapshot(v) {
  if (Array.isArray(v)) return v.map(snapshot);
  if (v && typeof v == "object" && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
    const copy = {};
    for (const k of Object.keys(v)) copy[k] = snapshot(v[k]);
    return copy;
  }
  return v;
}
