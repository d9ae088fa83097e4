// The TC string decoder's shell (bundled with its wasm's glue into
// dist/consentry-tcstring.mjs), loaded the first time a page calls
// `consentry.decodeTCString`: a TCF page's CMP listener does not need it.
// @ts-check
import { initSync, decodeTCString as decode } from "../build/consentry-iab.js";
import { expected } from "./common.js";

export { initSync };

/** `decodeTCString(tcString)`: the decoded TC string as a plain object. @param {unknown} s */
export function decodeTCString(s) {
  const r = typeof s == "string" ? JSON.parse(decode(s)) : { error: "not a string" };
  if (r.error) throw expected("decodeTCString", "tcString is", s, `a TC string (${r.error})`);
  return r;
}
