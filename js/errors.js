// Errors and reports the shell and the TCF module share: every refused call
// gets an Error naming the call, the value and what was expected.
// @ts-check

// The page may have replaced `console` with something that throws; a report
// never stops the call that makes it. With `e`: an error, reported as is.
/** @param {string} m @param {unknown} [e] */
export const warn = (m, e) => {
  try {
    e === undefined ? console.warn("consentry: " + m) : console.error(m, e);
  } catch (_) {}
};

/** @param {string} call @param {string} m */
export const fail = (call, m) => new Error(`consentry.${call}: ${m}`);

// A short rendering of any value for error messages; never throws.
/** @param {unknown} v */
export function show(v) {
  let t;
  if (typeof v == "function") return "a function";
  if (typeof v == "number" && !isFinite(v)) return String(v);
  try {
    t = JSON.stringify(v);
  } catch (_) {}
  t = t === undefined ? typeof v : t;
  return t.length > 80 ? t.slice(0, 77) + "..." : t;
}

/** @param {string} call @param {string} subject @param {unknown} v @param {string} what */
export const expected = (call, subject, v, what) => fail(call, `${subject}${subject && " "}${show(v)}; expected ${what}`);
