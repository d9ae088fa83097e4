// @ts-check
// A wasm module's one export over its instance: the gate's
// `gate(op, arg, now)` and the forms' `form(op, a, b, c, n)` take strings
// and numbers and give a string, at the boundary of the core's `abi`
// (src/abi.rs), which is all they need; wasm-bindgen's glue, for every
// case, would cost every page 1.5 KB of script. The modules import nothing.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The export `name`: `initSync` instantiates its compiled wasm, `call`
 * runs the export.
 * @param {string} name
 */
export function bind(name) {
  /** @type {any} */
  let wasm;
  return {
    /** @param {{module: WebAssembly.Module}} m */
    initSync({ module }) {
      wasm = new WebAssembly.Instance(module).exports;
    },
    // A string goes in as its UTF-8 bytes, written where the wasm's
    // `alloc` says, and their length (the call frees them); a number as
    // it is. The answer stays in the wasm's memory until the next call:
    // the call returns where its pointer and length are.
    /** @param {...(string | number)} args @returns {string} */
    call(...args) {
      const at = wasm[name](...args.flatMap((a) => {
        if (typeof a != "string") return a;
        const bytes = encoder.encode(a);
        const at = wasm.alloc(bytes.length);
        new Uint8Array(wasm.memory.buffer).set(bytes, at);
        return [at, bytes.length];
      }));
      const [answer, length] = new Uint32Array(wasm.memory.buffer, at, 2);
      return decoder.decode(new Uint8Array(wasm.memory.buffer, answer, length));
    },
  };
}
