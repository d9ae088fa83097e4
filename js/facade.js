// The JS shell: upgrades the stub object in place into the real API. The
// gate's wasm decides (configuration, permissions, the record and its
// cookie, tag verdicts, cookie deletions, Consent Mode) through one string
// function, `gate(op, json, now)`; this keeps the API object, listeners,
// plugins and events, touches storage and the page, and throws an Error
// naming the call, the value and what was expected for a wrong argument.
// It makes no consent decision of its own.
// @ts-check
import { initSync, gate } from "../build/consentry.js";
import { stub } from "./stub.js";
import { integrations } from "./integrations.js";
import { warn, fail, expected, show, newId, jsonMembers } from "./common.js";

// The operations of gate/src/lib.rs (`op`), by code.
const START = 0, APPROVE = 1, DENY = 2, COMPLETE = 3, APPLY = 4, IS_APPROVED = 5, IS_PRE_APPROVED = 6,
  MEMOIZE = 7, MEMO = 8, INTEGRATIONS = 9, TAG = 10, CHOOSE = 11, REGION = 12;
// The record's two keys (cookies, or storage items): Adobe's value, which
// Adobe's library reads, and Consentry's own.
const KEYS = ["adobeujs-optin", "consentry"];
// Adobe's OptInCategories; the site's categories join under their
// upper-cased names.
const ADOBE = { AAM: "aam", ADCLOUD: "adcloud", ANALYTICS: "aa", CAMPAIGN: "campaign", ECID: "ecid", LIVEFYRE: "livefyre", TARGET: "target", MEDIA_ANALYTICS: "mediaaa" };
const OUTBOX_KEY = "consentry-outbox";
// The region the relay answered, kept for the session.
const REGION_KEY = "consentry-region";

// A category argument: one string, an array or any array-like of strings
// (also from another frame); undefined and null give an empty list.
/** @param {string} call @param {any} v @returns {string[]} */
function categories(call, v) {
  if (v == null) return [];
  if (typeof v == "string") return [v];
  /** @type {unknown[] | undefined} */
  let out;
  try {
    const n = v.length;
    if (typeof v == "object" && Number.isInteger(n) && n >= 0 && n <= 1024) out = Array.from({ length: n }, (_, i) => v[i]);
  } catch (_) {}
  if (!out) throw expected(call, "", v, "a category or an array of categories");
  // Name the item that is wrong, not only the list.
  const bad = out.findIndex((s) => typeof s != "string");
  if (bad >= 0) throw expected(call, `item ${bad} of ${show(v)} is`, out[bad], "a category name (a string)");
  return /** @type {string[]} */ (out);
}

/** @param {string} call @param {string} name @param {unknown} v */
function flag(call, name, v) {
  if (v == null) return false;
  if (typeof v != "boolean") throw expected(call, name + " is", v, "true or false");
  return v;
}

/** @param {string} call @param {string} name @param {unknown} v */
function func(call, name, v) {
  if (typeof v != "function") throw expected(call, name + " is", v, "a function");
  return /** @type {Function} */ (v);
}

// The configuration as JSON text, crossing once: the keys that may be
// functions are called once (one that throws fails closed: opt-in applies,
// no previous permissions); any other value JSON cannot hold is refused.
/** @param {any} config @param {string[]} warnings */
export function configText(config, warnings) {
  return jsonMembers("init", "config", config, (k, v) => {
    if (typeof v != "function" || (k != "doesOptInApply" && k != "previousPermissions")) return v;
    try {
      return v();
    } catch (_) {
      const optIn = k == "doesOptInApply";
      warnings.push(`config.${k}() threw; ${optIn ? "opt-in applies" : "ignored"}`);
      return optIn || undefined;
    }
  });
}

// The gate's answer to one operation (its argument as JSON text); an
// `{error}` answer throws.
/** @param {string} call @param {number} op @param {string} text */
function answer(call, op, text) {
  const r = JSON.parse(gate(op, text, Date.now()));
  if (r && r.error) throw fail(call, r.error);
  return r;
}

/** @param {string} call @param {number} op @param {unknown} arg */
const ask = (call, op, arg) => answer(call, op, JSON.stringify(arg));

// What each place holds of the record, for the gate to pick from by the
// configuration: `[adobe, consentry]`, each text or null when empty; false
// when the place cannot be read (a sandboxed frame, blocked cookies, a
// cookie that is not percent-encoded UTF-8). The storages are read only
// when the configuration names localStorage (their first access can take
// milliseconds); the gate reads no other place for such a configuration.
/** @param {unknown} local whether the configuration names localStorage */
export function places(local) {
  /** @param {(key: string) => string | null} read */
  const get = (read) => {
    try {
      return KEYS.map(read);
    } catch (_) {
      return false;
    }
  };
  const jar = () => document.cookie.split(/;\s*/);
  return [
    get((k) => {
      const pair = jar().find((c) => c.startsWith(k + "="));
      return pair ? decodeURIComponent(pair.slice(k.length + 1)) : null;
    }),
    local ? get((k) => localStorage.getItem(k)) : null,
    local ? get((k) => sessionStorage.getItem(k)) : null,
  ];
}

// Writes the record's texts (`[adobe, consentry]`, the second null when
// there is no choice to prove) where the gate's START answer says
// (`store`: 0 the cookies, with the answer's attributes, percent-encoded
// as Adobe's library does; 1 localStorage; 2 sessionStorage). A failure is
// a warning, once per page; the page carries on with the choice in memory.
/** @param {{store: number, cookie?: string, probe?: string[]}} start */
function storage({ store: kind, cookie: attributes = "", probe }) {
  let domain = "";
  let failed = false;
  /** @param {string} d */
  const sticks = (d) => {
    const p = "consentry-probe=1; path=/; domain=" + d;
    try {
      document.cookie = p;
      const ok = /(^|;\s*)consentry-probe=/.test(document.cookie);
      document.cookie = p + "; max-age=0";
      return ok;
    } catch (_) {
      return false;
    }
  };
  /** @param {string} why */
  const warnOnce = (why) => failed || ((failed = true), warn("the choice could not be stored: " + why));
  /** @param {(string | null)[]} texts */
  return (texts) => {
    if (kind) {
      let s;
      try {
        s = kind == 1 ? localStorage : sessionStorage;
      } catch (_) {
        return warnOnce("storage is not available");
      }
      try {
        texts.forEach((t, i) => t != null && s.setItem(KEYS[i], t));
      } catch (_) {
        warnOnce("storage refused the write (quota exceeded?)");
      }
      return;
    }
    // The top-most domain that keeps a cookie, found once.
    if (probe) (domain = probe.find(sticks) || ""), (probe = undefined);
    texts.forEach((t, i) => {
      if (t == null) return;
      const value = KEYS[i] + "=" + encodeURIComponent(t);
      try {
        document.cookie = value + attributes + (domain && "; domain=" + domain);
        if (!document.cookie.split(/;\s*/).includes(value)) {
          warnOnce("the browser did not keep the cookie (cookies disabled, a value over the browser's 4 KB, or a domain/Secure setting the page cannot use)");
        }
      } catch (_) {
        warnOnce("cookies are not available");
      }
    });
  };
}

// The phone form and the IAB TCF code are modules of their own, fetched
// the first time a page needs them. `locate(name)` (from the entry) starts
// the module's import and gives its wasm's and stylesheet's URLs.
/** @type {Record<string, Promise<any>>} */
const modules = {};
/** @type {(name: string) => any[]} */
let locate;
/** @param {string} name */
function load(name) {
  return (modules[name] = modules[name] || (async () => {
    const [module, wasm, css] = locate(name);
    const m = await module;
    // (The receipts module has no wasm.)
    if (m.initSync) await instantiate(m.initSync, wasm);
    return { m, css };
  })().catch((e) => {
    // A failed download is tried again on the next call.
    delete modules[name];
    throw e;
  }));
}

// Compiles a module's wasm (a URL, a Response, or a promise of one) off the
// main thread and instantiates it with its glue's `initSync`. (The glue's
// own loader, with its streaming and MIME fallbacks, would cost every page
// its bytes; the wasm is small enough to compile from its bytes.)
/** @param {(m: {module: WebAssembly.Module}) => unknown} initSync @param {any} source */
async function instantiate(initSync, source) {
  source = await source;
  const response = source instanceof Response ? source : await fetch(source);
  if (!response.ok) throw new Error(`${response.status} from ${response.url}`);
  initSync({ module: await WebAssembly.compile(await response.arrayBuffer()) });
}

// Whether `config` takes the gate's banner build (it has `ui`); one that
// cannot be read takes the plain build, and start refuses it.
/** @param {any} config */
export function wantsBanner(config) {
  try {
    return !!config.ui;
  } catch (_) {
    return false;
  }
}

/**
 * Starts Consentry on the stub object `c`.
 * @param {any} c @param {unknown} config @param {any} wasm @param {(name: string) => any[]} locator
 */
export async function start(c, config, wasm, locator) {
  if (c._l) throw new Error("consentry.init: already started");
  c._l = 1;
  locate = locator;
  /** @type {string[]} */
  const warnings = [];
  let st, page;
  try {
    // Read once, before anything waits: a later change to the object changes nothing.
    const text = configText(config, warnings);
    try {
      await instantiate(initSync, wasm);
    } catch (e) {
      throw new Error(`consentry.init: the wasm could not be loaded (${e && /** @type {any} */ (e).message}); expected consentry_bg.wasm's URL, Response or a promise of one`);
    }
    // One task for compiling the wasm, the next for starting it: no single
    // long task on the page's main thread. A message, not a timer: timers
    // in background tabs wait up to a second.
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      channel.port2.postMessage(0);
    });
    const gpc = /** @type {any} */ (navigator).globalPrivacyControl === true;
    try {
      if (/"regionUrl"/.test(text)) region = sessionStorage.getItem(REGION_KEY);
    } catch (_) {}
    st = answer("init", START, `[${text},${gpc},"${newId()}",${JSON.stringify(location.hostname)},${JSON.stringify(places(/"storage":"localStorage"/.test(text)))},${JSON.stringify(region)}]`);
    for (const w of warnings.concat(st.warnings)) warn(w);
    // Without the inline snippet, Consent Mode's default is sent now.
    stub(window, document, 0, config);
    page = integrations(
      {
        integrations: (cookie, host, path, secure) => ask("integrations", INTEGRATIONS, [cookie, host, path, secure]),
        tag: (expr) => ask("tag", TAG, expr),
      },
      () => encodeGpp(Object.values(c.permissions)),
    );
    const commit = upgrade(c, st, storage(st), page);
    // The phone forms: functions of the form module of the same names.
    const form = (/** @type {string} */ call) => (/** @type {any} */ target, /** @type {any} */ options) => {
      // Read once, now: a change to the options after this call changes nothing.
      let o;
      try {
        o = snapshot(options);
      } catch (e) {
        return Promise.reject(new Error(`consentry.${call}: options could not be read (${e && /** @type {any} */ (e).message})`));
      }
      return load("consentry-form").then(({ m, css }) => m[call](target, o, css, load));
    };
    c.renderPhoneCapture = form("renderPhoneCapture");
    c.renderPhoneVerification = form("renderPhoneVerification");
    c.renderTextToJoin = form("renderTextToJoin");
    c.renderSignup = form("renderSignup");
    c.decodeTCString = (/** @type {unknown} */ s) => load("consentry-iab").then(({ m }) => m.decodeTCString(s));
    if ("tcf" in st) iab(c, st.tcf, (choices) => commit(APPLY, choices, "applyCmp"));
    c.decodeGPPString = (/** @type {unknown} */ s) => load("consentry-gpp").then(({ m }) => m.decodeGPPString(s));
    if ("gpp" in st) gpp(c, st.gpp, gpc, (choices) => commit(APPLY, choices, "applyCmp"));
    banner(c, "policy" in st && st, JSON.parse(text), commit);
  } catch (e) {
    c._l = 0;
    throw e;
  }
  for (const [m, args, slot] of c._q.splice(0)) {
    if (slot.x) continue;
    try {
      slot.f = c[m].apply(c, args);
    } catch (e) {
      warn("", e);
    }
    // renderPhoneCapture and decodeTCString: the promise the stub gave out.
    if (slot.r) slot.r(slot.f);
  }
  page.effects();
  page.observe();
  window.dispatchEvent(new CustomEvent("consentry:ready"));
  // An undelivered phone sign-up goes out now, after the page has its
  // answer (the outbox's first read of localStorage can take milliseconds).
  setTimeout(() => {
    try {
      if (localStorage.getItem(OUTBOX_KEY)) load("consentry-form").then(({ m }) => m.flush(), (e) => warn("consentry: the outbox could not be delivered", e));
      // Receipts an earlier page could not deliver.
      if (st.receipts) load("consentry-receipts").then(({ m }) => m.send(st.receipts), (e) => warn("", e));
    } catch (e) {
      // No storage, no outbox.
    }
  });
  return c;
}

// With isIabContext: the CMP listener, and the iabPlugin Adobe's ID service
// calls; its calls wait for the module.
/** @param {any} c @param {number[]} tcf the TCF rules the gate validated, flat @param {(choices: any) => void} apply */
function iab(c, tcf, apply) {
  const cmp = load("consentry-iab").then(({ m }) => {
    const cmp = new m.Cmp(tcf, Object.keys(c.permissions), c, apply);
    cmp.listen();
    return cmp;
  });
  cmp.catch((e) => warn("consentry: TCF could not start; the pre-opt-in defaults stay.", e));
  const call = (/** @type {string} */ method) => (/** @type {unknown} */ options) => void cmp.then((m) => m[method](options)).catch((e) => warn("", e));
  c.registerPlugin({ name: "iabPlugin", onRegister() {}, fetchConsentData: call("fetchConsentData"), isApproved: call("isApproved") });
}

// The visitor's region, when known (the relay's answer, kept for the session).
/** @type {string | null} */
let region = null;
// Has the GPP module encode the permissions in force (null: the last ones
// again, for a region learned later); nothing without `gpp.sections`.
/** @type {(permissions: boolean[] | null) => void} */
let encodeGpp = () => {};

// With `gpp`: Consentry as the page's GPP CMP, or reading another CMP's.
/** @param {any} c @param {any} config the configuration's gpp @param {boolean} gpc @param {(choices: any) => void} apply */
function gpp(c, config, gpc, apply) {
  const cmp = load("consentry-gpp").then(({ m }) => m.start(config, Object.keys(c.permissions), gpc, apply));
  cmp.catch((e) => warn("consentry: GPP could not start; the pre-opt-in defaults stay.", e));
  encodeGpp = (permissions) => void cmp.then((cmp) => cmp && cmp.update(permissions, gpc, region)).catch(() => {});
}

// With `ui`: the banner and preference centre (their module is fetched only
// when the gate says the visitor must choose, or the page opens the
// preferences), the region from the relay when the site does not know it,
// and the page's preference links. The gate decides; this carries out.
/** @param {any} c @param {any} ui the gate's answer (its policy, ask, locate, shown, necessary) @param {any} config @param {Commit} commit */
function banner(c, ui, config, commit) {
  if (!ui) {
    c.showPreferences = () => Promise.reject(fail("showPreferences", "the configuration has no ui; expected init with a ui key"));
    return;
  }
  const root = document.documentElement;
  // The region the site knows (the gate has checked it).
  if (typeof config.ui.region == "string") region = config.ui.region;
  /** @param {any} u */
  const mark = (u) => ((ui = u), root.setAttribute("data-consentry-policy", u.policy));
  /** @type {any} */
  const view = {
    config,
    get ui() {
      return ui;
    },
    get state() {
      return { permissions: c.permissions, status: c.status };
    },
    // A button: the gate commits; `proof` (a promise of what was shown)
    // goes into the receipt.
    choose(/** @type {string} */ button, /** @type {unknown} */ switches, /** @type {unknown} */ proof) {
      const r = commit(CHOOSE, [button, switches], "banner", proof);
      if (r.policy) mark(r);
      return r;
    },
  };
  /** @param {boolean} centre */
  const open = (centre) => load("consentry-ui").then(({ m, css }) => m.open(view, centre, css, load));
  c.showPreferences = () => open(true);
  addEventListener("click", (e) => {
    const t = /** @type {any} */ (e.target);
    if (t && t.closest && t.closest("[data-consentry-preferences]")) e.preventDefault(), open(true).catch((e) => warn("", e));
  });
  const ask = () => void (ui.ask && open(false).catch((e) => warn("consentry: the banner could not be shown; nothing but the necessary runs.", e)));
  mark(ui);
  if (!ui.locate) return ask();
  // The region from the relay: until it answers (3 s at most) the strictest policy holds.
  fetch(ui.locate, { signal: AbortSignal.timeout(3000) })
    .then((r) => r.json())
    .then((/** @type {any} */ a) => {
      const found = a.region;
      if (typeof found != "string") return;
      const r = commit(REGION, found, "region");
      if (!r.policy) return;
      region = found;
      encodeGpp(null);
      try {
        sessionStorage.setItem(REGION_KEY, found);
      } catch (_) {}
      mark(r);
    })
    .catch(() => {})
    .then(ask);
}

/** @typedef {(op: number, arg: unknown, cause: string, proof?: unknown) => any} Commit */

/**
 * Replaces the stub's methods by the real API over the gate's state `st`;
 * returns what commits a CMP's choices and the banner's buttons.
 * @param {any} c @param {any} st @param {(texts: (string | null)[]) => void} store @param {{effects: () => void}} page
 */
function upgrade(c, st, store, page) {
  const { receipts } = st;
  /** @type {{ f: Function, ctx?: unknown, id: number }[]} */
  let listeners = [];
  /** @type {Function[]} */
  let once = [];
  /** @type {Record<string, any>} */
  const plugins = Object.create(null);
  let ids = 0;
  const copy = () => ({ ...st.permissions });
  /** @param {Function} f @param {unknown} ctx @param {unknown} arg */
  const hear = (f, ctx, arg) => {
    try {
      f.call(ctx, arg);
    } catch (e) {
      warn("consentry: a complete listener threw", e);
    }
  };
  // Carries out the gate's answer: store the record; when it committed,
  // the page's integrations, then the listeners in subscription order,
  // the one-shots, and the DOM event.
  // With `receipts`, last, a receipt of the commit (`cause`: the call
  // that made it) goes to the relay.
  /** @param {any} r @param {string} cause @param {unknown} [proof] */
  const carry = (r, cause, proof) => {
    st = r;
    if (r.write) store(r.write);
    if (!r.changes) return r;
    page.effects();
    const calls = listeners.map((l) => [l.f, l.ctx]).concat(once.map((f) => [f]));
    once = [];
    for (const [f, ctx] of calls) hear(/** @type {Function} */ (f), ctx, copy());
    window.dispatchEvent(new CustomEvent("consentry:complete", { detail: { permissions: copy(), changes: r.changes } }));
    // A region's defaults are no choice: no receipt.
    if (receipts && cause != "region") load("consentry-receipts").then(({ m }) => m.receipt(receipts, c, r, cause, proof), (e) => warn("", e));
    return r;
  };
  /** @param {string} call @param {number} op @param {unknown} cats @param {unknown} wait */
  const set = (call, op, cats, wait) => {
    const w = flag(call, "shouldWaitForComplete", wait);
    carry(ask(call, op, [cats === null ? null : categories(call, cats), w]), call);
    return c;
  };
  // Read-only calls with a wrong argument answer as Adobe's library does
  // (which never throws there), so a tag that worked with it does not stop
  // mid-way: nothing approved, nothing kept, nothing to call. The Error is
  // reported once per call and page. Calls that change state throw.
  /** @type {Record<string, number>} */
  const warned = {};
  /** @template T @param {string} call @param {(...a: any[]) => T} f @param {T} fallback */
  const lenient = (call, f, fallback) => (/** @type {any[]} */ ...a) => {
    try {
      return f(...a);
    } catch (e) {
      const what = typeof fallback == "function" ? "a function that does nothing" : fallback === c ? "the object" : fallback;
      if (!warned[call]) (warned[call] = 1), warn(`${/** @type {Error} */ (e).message.slice(10)} (answered ${what}; reported once)`);
      return fallback;
    }
  };
  /** @param {string} call @param {unknown} event */
  const complete = (call, event) => {
    if (event !== "complete") throw expected(call, "event is", event, '"complete"');
  };
  Object.assign(c, {
    approve: (/** @type {unknown} */ cats, /** @type {unknown} */ wait) => set("approve", APPROVE, cats ?? [], wait),
    deny: (/** @type {unknown} */ cats, /** @type {unknown} */ wait) => set("deny", DENY, cats ?? [], wait),
    approveAll: (/** @type {unknown} */ wait) => set("approveAll", APPROVE, null, wait),
    denyAll: (/** @type {unknown} */ wait) => set("denyAll", DENY, null, wait),
    complete: () => (carry(ask("complete", COMPLETE, 0), "complete"), c),
    // One category name, the call tags make most, is answered from the state.
    isApproved: lenient(
      "isApproved",
      (/** @type {unknown} */ cats) =>
        typeof cats == "string" ? st.permissions[cats] === true : ask("isApproved", IS_APPROVED, categories("isApproved", cats)),
      false,
    ),
    isPreApproved: lenient("isPreApproved", (/** @type {unknown} */ cats) => ask("isPreApproved", IS_PRE_APPROVED, categories("isPreApproved", cats)), false),
    // Returns what removes the subscription: exactly this one (Adobe
    // removes by position); for a one-shot, a function that does nothing,
    // as Adobe's.
    fetchPermissions: lenient(
      "fetchPermissions",
      (/** @type {unknown} */ cb, /** @type {unknown} */ auto) => {
        const f = func("fetchPermissions", "callback", cb);
        const id = flag("fetchPermissions", "shouldAutoSubscribe", auto) ? ++ids : 0;
        if (id) listeners.push({ f, id });
        else if (!st.answer) once.push(f);
        if (st.answer) hear(f, undefined, copy());
        return id ? () => void (listeners = listeners.filter((l) => l.id != id)) : () => {};
      },
      () => {},
    ),
    on(/** @type {unknown} */ event, /** @type {unknown} */ cb, /** @type {unknown} */ ctx) {
      complete("on", event);
      listeners.push({ f: func("on", "callback", cb), ctx, id: 0 });
      return c;
    },
    // Every subscription of the callback, also fetchPermissions(cb, true)'s.
    off: lenient(
      "off",
      (/** @type {unknown} */ event, /** @type {unknown} */ cb) => {
        complete("off", event);
        func("off", "callback", cb);
        listeners = listeners.filter((l) => l.f !== cb);
        return c;
      },
      c,
    ),
    // The first plugin of a name wins; its onRegister(api) gets this object.
    registerPlugin(/** @type {any} */ p) {
      let name, reg;
      try {
        (name = p.name), (reg = p.onRegister);
      } catch (_) {}
      if (typeof name != "string" || !name || typeof reg != "function") {
        throw expected("registerPlugin", "plugin is", p, "{name: string, onRegister: function}");
      }
      if (!plugins[name]) (plugins[name] = p), reg.call(p, c);
      return c;
    },
    // execute({command: "plugin.method", params, callback}) calls
    // plugin.method({...params, callback}).
    execute(/** @type {any} */ o) {
      let command, params, callback;
      try {
        (command = o.command), (params = o.params), (callback = o.callback);
      } catch (_) {}
      const [name, method] = typeof command == "string" ? command.split(/\.(.*)/) : [];
      if (!method) throw expected("execute", "options are", o, '{command: "plugin.method", params, callback}');
      const p = plugins[name];
      if (!p || typeof p[method] != "function") throw fail("execute", `no plugin method ${JSON.stringify(command)} is registered`);
      return p[method]({ ...(params && typeof params == "object" ? params : {}), callback });
    },
    memoizeContent(/** @type {unknown} */ content) {
      let t;
      try {
        if (content && typeof content == "object" && !Array.isArray(content)) t = JSON.parse(JSON.stringify(content));
      } catch (_) {}
      if (!t || typeof t != "object" || Array.isArray(t)) throw expected("memoizeContent", "content is", content, "an object of JSON values");
      const r = ask("memoizeContent", MEMOIZE, t);
      if (r.write) store(r.write);
      return c;
    },
    getMemoizedContent: lenient(
      "getMemoizedContent",
      (/** @type {unknown} */ key) => {
        if (typeof key != "string") throw expected("getMemoizedContent", "key is", key, "a string");
        return ask("getMemoizedContent", MEMO, key).value;
      },
      undefined,
    ),
  });
  const prop = (/** @type {string} */ name, /** @type {() => unknown} */ get) => Object.defineProperty(c, name, { get, enumerable: true, configurable: true });
  prop("permissions", copy);
  prop("status", () => st.status);
  prop("isPending", () => st.status == "pending");
  prop("isComplete", () => st.status == "complete");
  prop("consentRecord", () => st.record && { ...st.record });
  const { optIn, iab: isIab } = st;
  prop("doesOptInApply", () => optIn);
  prop("isIabContext", () => isIab);
  // Categories never change after start: one frozen object, shared with Adobe's name.
  /** @type {Record<string, string>} */
  const enumeration = { ...ADOBE };
  for (const name of Object.keys(st.permissions).slice(8)) {
    const key = name.toUpperCase().replace(/-/g, "_");
    if (!(key in ADOBE)) enumeration[key] = name;
  }
  const cats = Object.freeze(enumeration);
  prop("Categories", () => cats);
  window.adobe.OptInCategories = cats;
  // A CMP's choices (the TCF module's) and the banner's: they commit at once.
  /** @type {Commit} */
  const commit = (op, arg, cause, proof) => {
    try {
      return carry(ask(cause, op, arg), cause, proof);
    } catch (e) {
      warn("", e);
      return { error: e };
    }
  };
  return commit;
}

// A copy of plain objects and arrays (functions and other values as they are).
/** @param {any} v @returns {any} */
function snapshot(v) {
  if (Array.isArray(v)) return v.map(snapshot);
  if (v && typeof v == "object" && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
    /** @type {Record<string, unknown>} */
    const copy = {};
    for (const k of Object.keys(v)) copy[k] = snapshot(v[k]);
    return copy;
  }
  return v;
}
