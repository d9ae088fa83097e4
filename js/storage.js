// The stored record's input and output for the gate: the gate decides what
// to read and write (which storage, the cookie's exact attributes, the
// domain) and turns every failure into a warning; this only touches
// `document.cookie`, `localStorage` and `sessionStorage`, any of which may
// throw (blocked cookies, sandboxed frames, a full quota).
// Kinds: 0 the cookie, 1 localStorage, 2 sessionStorage.
// @ts-check
const store = (/** @type {number} */ kind) => (kind == 1 ? localStorage : sessionStorage);

export const io = {
  host: () => location.hostname,
  // The cookie jar, or the stored text (null when absent). Throws when the
  // browser refuses access.
  read: (/** @type {number} */ kind, /** @type {string} */ key) => (kind ? store(kind).getItem(key) : document.cookie),
  // The cookie: sets `text` (a whole cookie assignment) and returns the jar,
  // so the gate can check it stuck; throws when cookies are refused.
  // Storage: 0 written, 1 storage not available, 2 the write was refused.
  /** @param {number} kind @param {string} key @param {string} text */
  write(kind, key, text) {
    if (!kind) {
      document.cookie = text;
      return document.cookie;
    }
    let s;
    try {
      s = store(kind);
    } catch (e) {
      return 1;
    }
    try {
      s.setItem(key, text);
      return 0;
    } catch (e) {
      return 2;
    }
  },
  // Whether a cookie for `domain` sticks (a probe, deleted at once).
  /** @param {string} domain */
  probe(domain) {
    const probe = "consentry-probe=1; path=/; domain=" + domain;
    try {
      document.cookie = probe;
      const ok = /(^|;\s*)consentry-probe=/.test(document.cookie);
      document.cookie = probe + "; max-age=0";
      return ok;
    } catch (e) {
      return false;
    }
  },
};

// For the browser tests, which import this module as it is.
export const storageIo = () => io;
