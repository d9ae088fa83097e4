// The form modules' wasm functions (form/src/wasm.rs), over the one export
// each build has, `form(op, a, b, c, n)`: the operation's code, its string
// arguments and its number. Every answer is JSON text (`{"error"}` when
// options are wrong); each shell imports the ones it calls.
// @ts-check
import { bound } from "./host.js";
import { LANGUAGE, OUTBOX, OPTIONS, NUMBER, BODY, REJECTION, JOIN, SIGNUP_OPTIONS, SIGNUP_BODY, VERIFY_OPTIONS, VERIFY_ANSWER } from "../build/form-protocol.js";

// The module's one export; `initSync` is what the module's entry exports
// for the shell's loader, which has attached the glue (js/host.js) first.
const { initSync, call } = bound("form");
export { initSync };

// The arguments of the last call, for `explain`.
/** @type {(string | number)[]} */
let last = [];
/** The one export (also consentry-form-explain's, which runs a refused call again). @param {...(string | number)} args */
export const form = (...args) => call(...(last = args));

/**
 * Why the last call was refused. A form's module says only "unexplained"
 * (its texts would cost every form page their bytes); the build with every
 * form and the core's `messages` (consentry-form-explain, which `load`
 * fetches only then) runs the same call and says it in full.
 * @param {(name: string) => Promise<any>} load
 * @returns {Promise<string>}
 */
export function explain(load) {
  const args = last;
  return load("consentry-form-explain").then(
    // (The same rules refuse the same call; should they not, the words stay unsaid.)
    ({ m }) => JSON.parse(m.form(...args)).error || "unexplained",
    (e) => `the options are refused; consentry-form-explain_bg.wasm, which says why, could not be loaded (${e && e.message})`,
  );
}

/** The language whose texts module a form's options need ("" for English). @param {string} json */
export const language = (json) => form(LANGUAGE, json, "", "", 0);
/** The outbox's rule `op` over its stored `text` at `now`. @param {string} op @param {string} text @param {string} arg @param {number} now */
export const outbox = (op, text, arg, now) => form(OUTBOX, op, text, arg, now);
/** The capture form's options, with the language's `table`. @param {string} json @param {string} table */
export const options = (json, table) => form(OPTIONS, json, table, "", 0);
/** A typed number with `country` selected, among the `allowed` ones (JSON). @param {string} input @param {string} country @param {string} allowed */
export const number = (input, country, allowed) => form(NUMBER, input, country, allowed, 0);
/** The capture form's body to post. @param {string} json */
export const body = (json) => form(BODY, json, "", "", 0);
/** Why the server refused a submission. @param {number} status @param {string} text */
export const rejection = (status, text) => form(REJECTION, text, "", "", status);
/** Text-to-join's options on `platform` (`inForm`: a capture form's block). @param {string} json @param {string} platform @param {string} table @param {boolean} inForm */
export const join = (json, platform, table, inForm) => form(JOIN, json, platform, table, inForm ? 1 : 0);
/** The sign-up form's options. @param {string} json @param {string} table */
export const signupOptions = (json, table) => form(SIGNUP_OPTIONS, json, table, "", 0);
/** A sign-up's errors, or its body. @param {string} options @param {string} entry */
export const signupBody = (options, entry) => form(SIGNUP_BODY, options, entry, "", 0);
/** The verification form's options. @param {string} json @param {string} table */
export const verifyOptions = (json, table) => form(VERIFY_OPTIONS, json, table, "", 0);
/** What the service's answer means for the verification form. @param {number} status @param {string} text */
export const verifyAnswer = (status, text) => form(VERIFY_ANSWER, text, "", "", status);
