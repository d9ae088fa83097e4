// @ts-check
// The gate's one export, `gate(op, arg, now)`, over its wasm: in place of
// the glue wasm-bindgen generates (build/consentry.js), whose general
// cases (a realloc path for non-ASCII text, Safari's decoder limit, the
// deprecated arguments of initSync, a loader the shell does not use) would
// cost every page 1.5 KB of script. A string goes in, a string comes out:
// this is all the gate's boundary needs. scripts/build.mjs checks that the
// generated glue still calls the wasm exactly so, and fails the build when
// a wasm-bindgen upgrade changes it.

/** @type {any} */
let wasm;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Instantiates the gate's compiled wasm (either build). @param {{module: WebAssembly.Module}} m */
export function initSync({ module }) {
  // The gate holds no JS values, so its table of them needs no start.
  wasm = new WebAssembly.Instance(module, { "./consentry_bg.js": { __wbindgen_init_externref_table() {} } }).exports;
  wasm.__wbindgen_start();
}

/** Runs operation `op` with the JSON argument `arg` at time `now`. @param {number} op @param {string} arg @param {number} now @returns {string} */
export function gate(op, arg, now) {
  const bytes = encoder.encode(arg);
  const at = wasm.__wbindgen_malloc(bytes.length, 1) >>> 0;
  new Uint8Array(wasm.memory.buffer).set(bytes, at);
  const [out, length] = wasm.gate(op, at, bytes.length, now);
  try {
    return decoder.decode(new Uint8Array(wasm.memory.buffer, out >>> 0, length));
  } finally {
    wasm.__wbindgen_free(out, length, 1);
  }
}
