// @ts-check
// Consent receipts (dist/consentry-receipts.mjs, loaded only by pages whose
// configuration names `receipts`): a receipt of every committed choice goes
// to the relay's `/consent/receipts`, exactly once. Each is kept in
// localStorage until the relay has answered it (a retry carries the same
// key, which the relay answers from its store), sent with `keepalive`,
// and once more with `sendBeacon` when the page is hidden. Nothing here
// delays the commit or any tag: the facade calls it after both.
import { warn, sha256 } from "./common.js";

const KEY = "consentry-receipts";

/** @returns {{key: string, body: string}[]} */
function pending() {
  try {
    const q = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(q) ? q : [];
  } catch (_) {
    return [];
  }
}

/** @param {{key: string, body: string}[]} q */
function keep(q) {
  try {
    q.length ? localStorage.setItem(KEY, JSON.stringify(q)) : localStorage.removeItem(KEY);
  } catch (_) {
    // No storage: the receipt goes out from memory only.
  }
}

/** @type {{key: string, body: string}[]} */
let memory = [];
let beacons = false;

/** @param {string} url the relay @param {{key: string, body: string}} r */
async function deliver(url, r) {
  try {
    // text/plain: a simple request, no preflight (a beacon cannot have one).
    const response = await fetch(url + "/consent/receipts", { method: "POST", body: r.body, keepalive: true, headers: { "Content-Type": "text/plain" } });
    if (response.status >= 500 || response.status == 429) return;
    if (!response.ok) warn(`receipt ${r.key} refused by ${url}/consent/receipts (${response.status})`);
    memory = memory.filter((m) => m.key != r.key);
    keep(pending().filter((m) => m.key != r.key));
  } catch (_) {
    // Offline or the relay down: it stays, for the next page or pagehide.
  }
}

/** Sends what is waiting; with `receipt`, records it first. @param {string} url @param {Record<string, unknown>} [receipt] */
export function send(url, receipt) {
  if (receipt) {
    const r = { key: String(receipt.key), body: JSON.stringify(receipt) };
    memory.push(r);
    keep(pending().concat(r));
  }
  if (!beacons) {
    beacons = true;
    addEventListener("pagehide", () => {
      for (const r of pending().length ? pending() : memory) navigator.sendBeacon(url + "/consent/receipts", r.body);
    });
  }
  const q = pending();
  for (const r of q.length ? q : memory) deliver(url, r);
}

/**
 * The receipt of one commit, sent to the relay at `url`: the gate's answer
 * `r` (its record, permissions and changes), what made it (`cause`), GPC,
 * the page, with TCF the SHA-256 of the TC string, with GPP the GPP
 * string's (`own`: the promise of Consentry's own CMP's string after this
 * commit; without it, another CMP's through `__gpp`), and for a button of
 * the banner what it showed (`banner`: a promise of its language, layout,
 * the SHA-256 of its texts and the button).
 * @param {string} url @param {any} c the API object @param {any} r @param {string} cause @param {unknown} [banner]
 * @param {Promise<string | undefined>} [own]
 */
export async function receipt(url, c, r, cause, banner, own) {
  const rec = r.record || {};
  /** @type {string | undefined} */
  let tc;
  if (c.isIabContext) {
    tc = await new Promise((resolve) => {
      setTimeout(resolve, 500);
      try {
        c.execute({ command: "iabPlugin.fetchConsentData", callback: (/** @type {unknown} */ e, /** @type {any} */ d) => resolve(!e && d && d.consentString) });
      } catch (_) {
        resolve(undefined);
      }
    });
  }
  // With GPP: Consentry's string of this commit, or another CMP's once its
  // signal is ready.
  const gpp = (await own) ?? await new Promise((resolve) => {
    const api = /** @type {any} */ (window).__gpp;
    if (typeof api != "function") return resolve(undefined);
    /** @type {unknown} */
    let id;
    // The answer, or none after 500 ms; either way the listener goes.
    const done = (/** @type {string | undefined} */ value) => {
      resolve(value);
      try {
        if (id !== undefined) api("removeEventListener", () => {}, id);
      } catch (_) {}
    };
    setTimeout(done, 500);
    try {
      api("addEventListener", (/** @type {any} */ e, /** @type {unknown} */ ok) => {
        id = e && e.listenerId;
        const p = ok && e && e.pingData;
        if (p && p.signalStatus == "ready" && typeof p.gppString == "string") done(p.gppString);
      });
    } catch (_) {
      resolve(undefined);
    }
  });
  send(url, {
    key: `${rec.consentId}-${rec.time}-${++sent}`,
    consent_id: rec.consentId,
    time: rec.time,
    revision: rec.revision,
    permissions: r.permissions,
    changes: r.changes,
    gpc: /** @type {any} */ (navigator).globalPrivacyControl === true,
    tc_sha256: tc ? await sha256(tc) : null,
    gpp_sha256: gpp ? await sha256(gpp) : null,
    page: location.href,
    cause,
    banner: (await banner) || null,
  });
}

let sent = 0;
