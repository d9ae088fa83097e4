// The script-tag builds: starts with the inline snippet's configuration and
// .wasm download, or on its own with `window.consentryConfig` and the .wasm
// beside this script (also from a CDN: every file is found beside it).
// On failure the stub stays: nothing is approved.
// consentry.js (FULL false) is the plain build's shell; a configuration
// with a key only the full build reads (FULL_KEYS) is handed over to
// consentry-full.js, fetched once from beside it.
import { stub } from "./stub.js";
import { start, gateWasm, wantsFull } from "./facade.js";

const script = document.currentScript;
const c = stub(window, document);
// A second copy of this script on the page leaves the first one in charge.
if (!c._l) {
  const base = c._b || new URL(".", script ? script.src : location.href).href;
  const config = c._c === undefined ? window.consentryConfig : c._c;
  if (!FULL && wantsFull(config)) {
    if (!c._f) document.head.appendChild(document.createElement("script")).src = base + "consentry-full.js";
    c._f = 1;
  } else {
    const wasm = gateWasm(config, c._w, base + "consentry_bg.wasm", base + "consentry-full_bg.wasm");
    // (The phone forms share one stylesheet, consentry-form.css.)
    start(c, config, wasm, (name) => [import(base + name + ".mjs"), base + name + "_bg.wasm", base + name.replace(/^consentry-form-.*/, "consentry-form") + ".css"]).catch((e) =>
      console.error("consentry: could not start; every category stays denied.", e),
    );
  }
}
