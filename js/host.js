// @ts-check
// What a form's module (and consentry-full.mjs) takes from the gate's
// script that loads it, rather
// than carrying its own copy: the reports and Errors of js/common.js and
// the wasm glue (about 500 bytes brotli of every form's page). The
// facade's `load` hands them over with `attach` before it runs anything of
// the module's; the form's files import them from here.

/** @type {typeof import("./common.js").warn} */
export let warn;
/** @type {typeof import("./common.js").fail} */
export let fail;
/** @type {typeof import("./common.js").expected} */
export let expected;
/** @type {typeof import("./common.js").jsonMembers} */
export let jsonMembers;
/** @type {typeof import("./common.js").newId} */
export let newId;
/** @type {typeof import("./wasm-glue.js").bind} */
export let bind;

// The wasm export `name`, bound over the attached glue when the loader
// calls `initSync` (after `attach`).
/** @param {string} name */
export function bound(name) {
  /** @type {ReturnType<typeof bind>} */
  let glue;
  return {
    /** @param {{module: WebAssembly.Module}} m */
    initSync: (m) => (glue = bind(name)).initSync(m),
    /** @param {...(string | number)} args */
    call: (...args) => glue.call(...args),
  };
}

// (In this order: a list costs the gate's script less than an object.)
/** @param {[typeof warn, typeof fail, typeof expected, typeof jsonMembers, typeof newId, typeof bind]} host */
export const attach = (host) => ([warn, fail, expected, jsonMembers, newId, bind] = host);
