// The ESM entry: `import consentry, { init } from "consentry"`.
import { stub } from "./stub.js";
import { start } from "./facade.js";

const consentry = stub(window, document);
export default consentry;

// Loads the wasm and starts Consentry with `config` (or the snippet's).
// `wasm`: a URL, Response or promise of one; defaults to the snippet's
// download or `consentry_bg.wasm` beside this module.
export function init(config, wasm) {
  return start(
    consentry,
    config === undefined ? consentry._c : config,
    wasm || consentry._w || new URL("consentry_bg.wasm", import.meta.url),
    consentry._b || new URL(".", import.meta.url).href,
  );
}
