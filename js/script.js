// The script-tag builds, all from this entry:
// - consentry.js: on its own with `window.consentryConfig` and the .wasm
//   beside this script (also from a CDN: every file is found beside it),
//   or after the snippet; the plain build's shell with the stub (STUB);
// - consentry_bg.js: the same without the stub, a module the inline
//   snippet imports beside consentry_bg.wasm (the snippet is the stub);
// - consentry-full_bg.js: the full build's shell, a module the snippet
//   imports, or consentry.js hands over to for a configuration with a key
//   only the full build reads (FULL_KEYS); a stub is always there before
//   it.
// On failure the stub stays: nothing is approved.
import { stub } from "./stub.js";
import { start, gateWasm, wantsFull } from "./facade.js";

const script = STUB && document.currentScript;
const c = STUB ? stub(window) : window.consentry;
if (!STUB && !c) {
  console.error("consentry: the snippet's script needs the snippet before it; without the snippet, load consentry.js");
} else if (!c._l) {
  // (A second copy of this script on the page leaves the first one in charge.)
  // (The snippet's scripts, modules, find the snippet's base URL from
  // their own.)
  const base = new URL(".", STUB ? (script ? script.src : location.href) : import.meta.url).href;
  const config = c._c === undefined ? window.consentryConfig : c._c;
  if (!FULL && wantsFull(config)) {
    if (!c._f) import(base + "consentry-full_bg.js");
    c._f = 1;
  } else {
    const wasm = gateWasm(config, c._w, base + "consentry_bg.wasm", base + "consentry-full_bg.wasm");
    // (The phone forms share consentry-form.css, except the capture form,
    // whose consentry-form-capture.css leaves out the other forms' rules,
    // and its modal's consentry-form-modal.css; the full gate's module,
    // consentry-full.mjs, has no stylesheet.)
    start(c, config, wasm, (name) => [import(base + name + ".mjs"), base + name + "_bg.wasm", base + name.replace(/^consentry-form-(?!capture|modal).*/, "consentry-form") + ".css"]).catch((e) =>
      console.error("consentry: could not start; every category stays denied.", e),
    );
  }
}
