// @ts-check
// A wasm module's one export over its instance, in place of the glue
// wasm-bindgen generates (build/consentry.js for the gate,
// build/consentry-form.js for the forms), whose general cases (a realloc
// path for non-ASCII text, Safari's decoder limit, the deprecated
// arguments of initSync, a loader the shells do not use) would cost every
// page 1.5 KB of script. The gate's `gate(op, arg, now)` and the forms'
// `form(op, a, b, c, n)` take strings and numbers and give a string: this
// is all their boundary needs. scripts/build.mjs checks that the generated
// glue still calls each wasm exactly so, and fails the build when a
// wasm-bindgen upgrade changes it.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The export `name` of a module whose glue wasm-bindgen named `glue`:
 * `initSync` instantiates its compiled wasm, `call` runs the export.
 * @param {string} glue @param {string} name
 */
export function bind(glue, name) {
  /** @type {any} */
  let wasm;
  return {
    /** @param {{module: WebAssembly.Module}} m */
    initSync({ module }) {
      // The modules hold no JS values, so their table of them needs no start.
      wasm = new WebAssembly.Instance(module, { [`./${glue}_bg.js`]: { __wbindgen_init_externref_table() {} } }).exports;
      wasm.__wbindgen_start();
    },
    // A string goes in as its UTF-8 bytes' pointer and length (the wasm
    // frees them), a number as it is.
    /** @param {...(string | number)} args @returns {string} */
    call(...args) {
      const params = [];
      for (const a of args) {
        if (typeof a == "string") {
          const bytes = encoder.encode(a);
          const at = wasm.__wbindgen_malloc(bytes.length, 1);
          new Uint8Array(wasm.memory.buffer).set(bytes, at);
          params.push(at, bytes.length);
        } else params.push(a);
      }
      const [out, length] = wasm[name](...params);
      try {
        return decoder.decode(new Uint8Array(wasm.memory.buffer, out, length));
      } finally {
        wasm.__wbindgen_free(out, length, 1);
      }
    },
  };
}
