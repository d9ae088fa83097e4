// The ESM entry: `import consentry, { init } from "consentry"`.
// Every file is located by a literal `new URL("./file", import.meta.url)` or
// `import("./file")`, the forms Vite, webpack and Rollup see and copy; the
// form and TCF modules stay separate chunks, fetched on first use.
import { stub } from "./stub.js";
import { start, gateWasm } from "./facade.js";

const browser = typeof window == "object" && typeof document == "object";

// During server rendering there is no page: the default export is a stub
// that answers `isApproved` with false and queues nothing that could run.
const consentry = browser ? stub(window) : stub({});
export default consentry;

// Each on-demand module: [its import, its wasm's URL, its stylesheet's URL].
const files = {
  // The phone forms, one module per form; the capture form's stylesheet
  // leaves out the other forms' rules.
  "consentry-form-capture": () => [
    import("./consentry-form-capture.mjs"),
    new URL("./consentry-form-capture_bg.wasm", import.meta.url),
    new URL("./consentry-form-capture.css", import.meta.url).href,
  ],
  "consentry-form-verification": () => [
    import("./consentry-form-verification.mjs"),
    new URL("./consentry-form-verification_bg.wasm", import.meta.url),
    new URL("./consentry-form.css", import.meta.url).href,
  ],
  "consentry-form-signup": () => [
    import("./consentry-form-signup.mjs"),
    new URL("./consentry-form-signup_bg.wasm", import.meta.url),
    new URL("./consentry-form.css", import.meta.url).href,
  ],
  "consentry-form-join": () => [
    import("./consentry-form-join.mjs"),
    new URL("./consentry-form-join_bg.wasm", import.meta.url),
    new URL("./consentry-form.css", import.meta.url).href,
  ],
  // The capture form's delivery inside a Braze in-app message, and its
  // modal.
  "consentry-form-bridge": () => [import("./consentry-form-bridge.mjs")],
  "consentry-form-modal": () => [import("./consentry-form-modal.mjs"), 0, new URL("./consentry-form-modal.css", import.meta.url).href],
  // The forms' build that says why options are refused.
  "consentry-form-explain": () => [import("./consentry-form-explain.mjs"), new URL("./consentry-form-explain_bg.wasm", import.meta.url)],
  // The forms' texts in Korean and Japanese (English is built in).
  "consentry-form-ko": () => [import("./consentry-form-ko.mjs")],
  "consentry-form-ja": () => [import("./consentry-form-ja.mjs")],
  // The full gate, which says why the plain one refused a configuration.
  "consentry-full": () => [import("./consentry-full.mjs"), new URL("./consentry-full_bg.wasm", import.meta.url)],
  "consentry-iab": () => [import("./consentry-iab.mjs"), new URL("./consentry-iab_bg.wasm", import.meta.url)],
  "consentry-tcstring": () => [import("./consentry-tcstring.mjs"), new URL("./consentry-tcstring_bg.wasm", import.meta.url)],
  "consentry-gpp": () => [import("./consentry-gpp.mjs"), new URL("./consentry-gpp_bg.wasm", import.meta.url)],
  "consentry-receipts": () => [import("./consentry-receipts.mjs")],
  "consentry-qr": () => [import("./consentry-qr.mjs"), new URL("./consentry-qr_bg.wasm", import.meta.url)],
  "consentry-ui": () => [import("./consentry-ui.mjs"), 0, new URL("./consentry-ui.css", import.meta.url).href],
  // The banner's texts, one module per language, each fetched on demand.
  "consentry-ui-en": () => [import("./consentry-ui-en.mjs")],
  "consentry-ui-de": () => [import("./consentry-ui-de.mjs")],
  "consentry-ui-fr": () => [import("./consentry-ui-fr.mjs")],
  "consentry-ui-es": () => [import("./consentry-ui-es.mjs")],
  "consentry-ui-it": () => [import("./consentry-ui-it.mjs")],
  "consentry-ui-nl": () => [import("./consentry-ui-nl.mjs")],
  "consentry-ui-pt": () => [import("./consentry-ui-pt.mjs")],
  "consentry-ui-pl": () => [import("./consentry-ui-pl.mjs")],
  "consentry-ui-ko": () => [import("./consentry-ui-ko.mjs")],
  "consentry-ui-ja": () => [import("./consentry-ui-ja.mjs")],
};

// Loads the wasm and starts Consentry with `config` (or the snippet's).
// `wasm`: a URL, Response or promise of one; defaults to the snippet's
// download or `consentry_bg.wasm` beside this module (`consentry-full_bg.wasm`
// for a configuration with `ui`, `cookies`, `consentMode`, `uet`, `tcf` or `gpp`).
export function init(config, wasm) {
  if (!browser) {
    return Promise.reject(new Error("consentry.init: there is no page here (window is not defined); call init in the browser, e.g. in useEffect, onMount or a client-only script"));
  }
  if (config === undefined) config = consentry._c;
  return start(
    consentry,
    config,
    wasm || gateWasm(config, consentry._w, new URL("./consentry_bg.wasm", import.meta.url), new URL("./consentry-full_bg.wasm", import.meta.url)),
    (name) => files[name](),
  );
}
