// What the shell and the form and TCF modules share: Errors (every refused
// call gets one naming the call, the value and what was expected), console
// reports, random ids.
// @ts-check

// Where the forms keep submissions until they are delivered (the facade
// delivers them on the next page load).
export const OUTBOX_KEY = "consentry-outbox";

// The page may have replaced `console` with something that throws; a report
// never stops the call that makes it. With `e`: an error, reported as is.
/** @param {string} m @param {unknown} [e] */
export const warn = (m, e) => {
  try {
    e === undefined ? console.warn("consentry: " + m) : console.error(m, e);
  } catch (_) {}
};

/** @param {string} call @param {string} m */
export const fail = (call, m) => new Error(`consentry.${call}: ${m}`);

// A short rendering of any value for error messages; never throws.
/** @param {unknown} v */
export function show(v) {
  let t;
  if (typeof v == "function") return "a function";
  if (typeof v == "number" && !isFinite(v)) return String(v);
  try {
    t = JSON.stringify(v);
  } catch (_) {}
  t = t === undefined ? typeof v : t;
  return t.length > 80 ? t.slice(0, 77) + "..." : t;
}

/** @param {string} call @param {string} subject @param {unknown} v @param {string} what */
export const expected = (call, subject, v, what) => fail(call, `${subject}${subject && " "}${show(v)}; expected ${what}`);

// An object's own members as JSON text, for a wasm to read: `take(key,
// value)` sees each member first and returns what to write (undefined: leave
// it out). Anything JSON cannot hold is refused, naming the member; null
// and undefined give "null". (The configuration and the form's options.)
/** @param {string} call @param {string} name @param {any} object @param {(key: string, value: any) => any} take */
export function jsonMembers(call, name, object, take) {
  if (object == null) return "null";
  let keys;
  try {
    if (typeof object != "object" || Array.isArray(object)) throw 0;
    keys = Reflect.ownKeys(object);
  } catch (_) {
    throw expected(call, name + " is", object, "an object");
  }
  const out = [];
  for (const k of keys) {
    if (typeof k != "string") continue;
    let v, t;
    try {
      v = object[k];
    } catch (_) {}
    v = take(k, v);
    if (v === undefined) continue;
    try {
      if (typeof v != "function" && !(typeof v == "number" && !isFinite(v))) t = JSON.stringify(v);
    } catch (_) {}
    if (t === undefined) throw fail(call, `${name}.${k} is ${show(v)}; expected a JSON value`);
    out.push(JSON.stringify(k) + ":" + t);
  }
  return "{" + out + "}";
}

// 32 random hex digits: a consent id, an idempotency key.
export function newId() {
  const b = new Uint8Array(16);
  try {
    crypto.getRandomValues(b);
  } catch (_) {
    for (let i = 0; i < 16; i++) b[i] = Math.random() * 256;
  }
  return Array.from(b, (x) => (x + 256).toString(16).slice(1)).join("");
}

// Where a form's visitor is, for its consent record: the page and the
// browser's consent id (its cookie choices' record). Inside a Braze HTML
// in-app message (an about:srcdoc frame of the page) both are the host
// page's: the frame has neither an address nor choices of its own.
export function whereConsented() {
  /** @type {any} */
  let w = window;
  try {
    while (w.location.protocol == "about:" && w.parent != w) w = w.parent;
    void w.location.href;
  } catch (_) {
    w = window;
  }
  const record = w.consentry?.consentRecord || /** @type {any} */ (window).consentry?.consentRecord || {};
  return { pageUrl: String(w.location.href), consentId: record.consentId || "" };
}

/** SHA-256 of `text`, hex (the receipts keep the TC string's and the banner's texts' hashes). @param {string} text */
export async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The window holding the IAB locator frame `name` (`__tcfapiLocator`,
// `__gppLocator`), searching up from `w`; a CMP in another frame answers
// postMessage calls there.
/** @param {any} w @param {string} name @returns {Window | null} */
export function locator(w, name) {
  for (let i = 0; i < 16 && w; i++) {
    try {
      if (w.frames[name]) return w;
      if (w.parent === w) return null;
      w = w.parent;
    } catch (_) {
      return null;
    }
  }
  return null;
}

// A postMessage's data as an object: IAB CMPs send objects or their JSON.
/** @param {MessageEvent} event @returns {any} */
export function messageData(event) {
  try {
    return typeof event.data == "string" ? JSON.parse(event.data) : event.data;
  } catch (_) {
    return null;
  }
}
