// The script-tag build: starts with the inline snippet's configuration and
// .wasm download, or on its own with `window.consentryConfig` and the .wasm
// beside this script (also from a CDN: every file is found beside it).
// On failure the stub stays: nothing is approved.
import { stub } from "./stub.js";
import { start, gateWasm } from "./facade.js";

const script = document.currentScript;
const c = stub(window, document);
// A second copy of this script on the page leaves the first one in charge.
if (!c._l) {
  const base = c._b || new URL(".", script ? script.src : location.href).href;
  const config = c._c === undefined ? window.consentryConfig : c._c;
  const wasm = gateWasm(config, c._w, base + "consentry_bg.wasm", base + "consentry-full_bg.wasm");
  // (The phone forms share one stylesheet, consentry-form.css.)
  start(c, config, wasm, (name) => [import(base + name + ".mjs"), base + name + "_bg.wasm", base + name.replace(/^consentry-form-.*/, "consentry-form") + ".css"]).catch((e) =>
    console.error("consentry: could not start; every category stays denied.", e),
  );
}
