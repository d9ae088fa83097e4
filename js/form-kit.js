// What every form's shell shares (the capture, verification, sign-up and
// text-to-join forms of dist/consentry-form.mjs): the delivery through the
// outbox (localStorage, fetch with Idempotency-Key, retries with backoff,
// the online event, the next page load; when to retry is the wasm's
// outbox rule), the options' check, the fields and their errors, and the
// stylesheet. Every text goes in with `textContent` or attributes, never
// as HTML.
// @ts-check
import { outbox as rule, language, explain } from "./form-wasm.js";
import { OUTBOX_KEY } from "./common.js";
import { warn, fail, expected, jsonMembers } from "./host.js";

// An attempt that takes longer than this counts as no answer.
const TIMEOUT_MS = 15000;

// ---- delivery ----

/** @typedef {{ key: string, url: string, body: string }} Entry */
/** @typedef {{ delivered?: true, waiting?: true, rejected?: [number, string] }} Delivery */

/** @type {Set<string>} */
const inFlight = new Set();
/** @type {Map<string, ((d: Delivery) => void)[]>} */
const watchers = new Map();
let timer = 0;
let onlineHooked = false;

const load = () => {
  try {
    return localStorage.getItem(OUTBOX_KEY) || "";
  } catch (_) {
    return "";
  }
};

// Runs an outbox rule over the stored outbox and stores what it answers,
// when that changed (reading which submissions are due changes nothing).
/** @param {string} op @param {unknown} [arg] */
function apply(op, arg) {
  const text = load();
  const r = JSON.parse(rule(op, text, JSON.stringify(arg ?? null), Date.now()));
  if ((r.outbox ?? "") === text) return r;
  try {
    r.outbox == null ? localStorage.removeItem(OUTBOX_KEY) : localStorage.setItem(OUTBOX_KEY, r.outbox);
  } catch (_) {
    warn("the outbox could not be saved (storage full or not available)");
  }
  return r;
}

/** Stops telling anyone what becomes of submission `key` (it is still delivered). @param {string} key */
export function forget(key) {
  watchers.delete(key);
}

/** Queues `entry` and tries to deliver it; `watcher` hears what happens, also to later attempts. @param {Entry} entry @param {(d: Delivery) => void} watcher */
export function submit(entry, watcher) {
  watchers.set(entry.key, [...(watchers.get(entry.key) || []), watcher]);
  apply("push", entry);
  flush();
}

/** Attempts every due submission of the outbox that is not already in flight. */
export function flush() {
  if (!onlineHooked) {
    onlineHooked = true;
    // Back online: everything waiting is due at once.
    addEventListener("online", () => (apply("wake"), flush()));
  }
  for (const url of apply("expire").expired) warn("a subscription submitted more than 7 days ago was never delivered and is dropped: " + url);
  for (const entry of apply("due", [...inFlight]).due) {
    inFlight.add(entry.key);
    attempt(entry);
  }
  scheduleNext();
}

/** @param {Entry} entry */
async function attempt(entry) {
  /** @type {[number, string] | null} */
  let answer = null;
  try {
    const response = await fetch(entry.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": entry.key },
      body: entry.body,
      signal: AbortSignal.timeout?.(TIMEOUT_MS),
    });
    answer = [response.status, await response.text().catch(() => "")];
  } catch (_) {
    // No answer: the outbox retries.
  }
  const { outcome } = apply("settle", { key: entry.key, status: answer && answer[0] });
  inFlight.delete(entry.key);
  /** @type {Delivery} */
  const delivery = outcome == "delivered" ? { delivered: true } : outcome == "rejected" && answer ? { rejected: answer } : { waiting: true };
  for (const w of watchers.get(entry.key) || []) w(delivery);
  if (!delivery.waiting) watchers.delete(entry.key);
  scheduleNext();
}

/** One timer for the earliest waiting submission. */
function scheduleNext() {
  clearTimeout(timer);
  const { next } = apply("due", [...inFlight]);
  if (next != null) timer = setTimeout(flush, Math.max(0, Math.min(next - Date.now(), 2 ** 31 - 1)));
}

// ---- what every form shares ----

let counter = 0;

/**
 * Checks `target`, takes the callbacks named in `names` out of `options`
 * and has the wasm's `read` validate the rest, with the texts of the
 * form's language (English is built in; for another the wasm names its
 * module, which `load`, the facade's, fetches once): the options it
 * answers, their JSON `text`, `id(suffix)` for the form's element ids, and
 * `callback(name, detail)`, which reports a callback that throws instead
 * of stopping.
 * @param {string} call @param {any} target @param {any} options @param {string[]} names
 * @param {(text: string, table: string) => string} read @param {(name: string) => Promise<any>} [load]
 */
export async function setup(call, target, options, names, read, load) {
  // (An element of another frame is an element too.)
  if (!target || target.nodeType !== 1) throw expected(call, "target is", target, "an element");
  if (options == null) throw expected(call, "options are", options, "an object");
  /** @type {Record<string, Function>} */
  const callbacks = {};
  // The callbacks stay here; everything else goes to the wasm's rules.
  const text = jsonMembers(call, "options", options, (k, v) => (typeof v == "function" && names.includes(k) ? void (callbacks[k] = v) : v));
  const lang = language(text);
  const table = lang && load ? JSON.stringify((await load(`consentry-form-${lang}`)).m.default) : "";
  const o = JSON.parse(read(text, table));
  // A form's own module refuses without the words (see explain).
  if (o.error == "unexplained" && load) o.error = await explain(load);
  if (o.error) throw fail(call, o.error);
  const n = ++counter;
  return {
    o,
    text,
    id: (/** @type {string} */ suffix) => `${o.formId}-${n}-${suffix}`,
    /** @param {string} name @param {unknown} [detail] */
    callback(name, detail) {
      if (!callbacks[name]) return;
      try {
        callbacks[name](detail);
      } catch (e) {
        warn(`consentry.${call}: the ${name} callback threw`, e);
      }
    },
  };
}

/** A labelled control in a `<p>`. @param {string} cls @param {string} labelFor @param {string} label @param {Element} control */
export function field(cls, labelFor, label, control) {
  const p = el("p", { class: cls });
  p.append(el("label", { for: labelFor, class: "consentry-label" }, label), control);
  return p;
}

/**
 * The country picker and the number side by side, as every phone form has
 * them; `required` marks the number required.
 * @param {any} o the wasm's answer (countries, defaultCountry, texts) @param {(suffix: string) => string} id @param {boolean} required
 */
export function phoneRow(o, id, required) {
  const select = el("select", { id: id("country"), class: "consentry-select", autocomplete: "tel-country-code" });
  for (const [iso, label] of o.countries) {
    const option = el("option", { value: iso }, label);
    if (iso == o.defaultCountry) option.setAttribute("selected", "");
    select.append(option);
  }
  const input = el("input", { id: id("phone"), class: "consentry-input", type: "tel", autocomplete: "tel-national", inputmode: "tel", "aria-describedby": id("phone-error"), ...(required ? { required: "" } : {}) });
  const row = el("div", { class: "consentry-row" });
  row.append(field("consentry-field consentry-country", id("country"), o.texts.country, select), field("consentry-field consentry-number", id("phone"), o.texts.phone, input));
  return { row, select, input };
}

/** Shows `text` as `control`'s error; null clears it. @param {Element} control @param {Element} messageEl @param {string | null} text */
export function showError(control, messageEl, text) {
  control.setAttribute("aria-invalid", text == null ? "false" : "true");
  messageEl.textContent = text;
}

// ---- the capture form ----

/**
 * @param {string} tag @param {Record<string, string>} [attrs] @param {string} [text]
 * @returns {any}
 */
export function el(tag, attrs = {}, text = "") {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

// Adds the default stylesheets `urls` to the page, each once. A form stays
// hidden until they have loaded (or failed), so nobody sees it unstyled,
// also a second form rendered while a sheet is still loading; a sheet the
// site links itself (`consentry-form.css`) is used as it is. The promise
// resolves when the form shows (what it focuses must be visible).
/** @param {HTMLElement} root @param {string[]} urls @returns {Promise<void>} */
export const loadStylesheet = (root, urls) => new Promise((resolve) => {
  let waiting = 1;
  const shown = () => --waiting || ((root.hidden = false), resolve());
  if (!document.querySelector("link[href*='consentry-form']:not([data-consentry-form])")) for (const url of urls) {
    /** @type {any} */
    let link = [...document.querySelectorAll("link[data-consentry-form]")].find((l) => l.getAttribute("href") == url);
    if (link && link.getAttribute("data-consentry-form") != "loading") continue;
    if (!link) {
      link = el("link", { rel: "stylesheet", href: url, "data-consentry-form": "loading" });
      const loaded = () => link.setAttribute("data-consentry-form", "");
      link.addEventListener("load", loaded);
      link.addEventListener("error", loaded);
      (document.head || document.documentElement).append(link);
    }
    root.hidden = true;
    waiting++;
    link.addEventListener("load", shown);
    link.addEventListener("error", shown);
  }
  shown();
});
