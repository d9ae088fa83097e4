// The TCF module's shell (bundled with its wasm's glue into
// dist/consentry-iab.mjs), loaded with isIabContext: the CMP listener,
// `__tcfapi('addEventListener', 2, ...)`, or postMessage through
// the `__tcfapiLocator` frame when the CMP lives in another frame; at
// `tcloaded` and `useractioncomplete` the wasm says what the TC string
// means for the page's categories and the gate commits it; after the
// configured timeout the pre-opt-in defaults stay. Also the `iabPlugin`
// Adobe's ID service calls through `execute`.
// @ts-check
import { initSync, tcData } from "../build/consentry-iab.js";
import { warn, fail, locator, messageData } from "./common.js";

export { initSync };

// The memoized key Adobe keeps the TC string's hash under.
const HASH_KEY = "iabConsentHash";
const CALL_ID = "consentry-tcf";

/** The CMP listener of one page. */
export class Cmp {
  /**
   * @param {number[]} tcf the rules the gate validated at init, flat (gate/src/lib.rs)
   * @param {string[]} names the page's category names in order
   * @param {any} api the public object (isApproved, memoizeContent, getMemoizedContent)
   * @param {(choices: Record<string, boolean>) => void} apply commits a CMP's choices
   */
  constructor(tcf, names, api, apply) {
    // The rules as tcData reads them: comma-separated.
    this.rules = tcf.join();
    this.timeout = tcf[0];
    this.names = names;
    this.api = api;
    this.apply = apply;
    // TC data arrived, or the wait timed out; then `data` is
    // [gdprApplies, tcString, changed since the stored hash] or null.
    this.settled = false;
    /** @type {[boolean | undefined, string, boolean] | null} */
    this.data = null;
    /** @type {[string, any][]} iabPlugin calls waiting for the data */
    this.waiting = [];
  }

  /** Starts listening to the CMP. */
  listen() {
    const api = /** @type {any} */ (window).__tcfapi;
    if (typeof api == "function") {
      try {
        api.call(window, "addEventListener", 2, (/** @type {any} */ data, /** @type {unknown} */ ok) => ok === true && this.onData(data));
      } catch (e) {
        warn("consentry: __tcfapi threw", e);
      }
    } else {
      const frame = locator(window, "__tcfapiLocator");
      if (frame) {
        addEventListener("message", (event) => {
          const data = messageData(event);
          const ret = data && data.__tcfapiReturn;
          if (ret && ret.callId === CALL_ID && ret.success === true) this.onData(ret.returnValue);
        });
        frame.postMessage({ __tcfapiCall: { command: "addEventListener", version: 2, callId: CALL_ID } }, "*");
      }
    }
    setTimeout(() => {
      if (this.settled) return;
      this.settled = true;
      warn("no TC data from a CMP in time (config.tcf.timeout); the pre-opt-in defaults stay");
      this.runWaiting();
    }, this.timeout);
  }

  /**
   * TC data from the CMP: the rules apply at `tcloaded` and
   * `useractioncomplete`. With `gdprApplies: false` TCF restricts nothing,
   * and changes nothing.
   * @param {any} data
   */
  onData(data) {
    try {
      const status = data && data.eventStatus;
      if (status != "tcloaded" && status != "useractioncomplete") return;
      const gdpr = typeof data.gdprApplies == "boolean" ? data.gdprApplies : undefined;
      const tcString = typeof data.tcString == "string" ? data.tcString : "";
      const r = JSON.parse(tcData(tcString, this.rules));
      const changed = this.call("getMemoizedContent", HASH_KEY) !== r.hash;
      this.settled = true;
      this.data = [gdpr, tcString, changed];
      if (gdpr !== false) {
        if (r.warning) warn(r.warning);
        if (changed) this.call("memoizeContent", { [HASH_KEY]: r.hash });
        try {
          this.apply(Object.fromEntries(r.choices.map((/** @type {[number, boolean]} */ [i, v]) => [this.names[i], v])));
        } catch (e) {
          warn("consentry: the CMP's choice could not be applied", e);
        }
      }
    } catch (e) {
      warn("consentry: the CMP's TC data could not be read", e);
    }
    this.runWaiting();
  }

  /** Calls `api[method](arg)`, reporting what it throws. @param {string} method @param {unknown} arg */
  call(method, arg) {
    try {
      return this.api[method](arg);
    } catch (e) {
      warn("consentry: iabPlugin", e);
    }
  }

  runWaiting() {
    for (const [method, options] of this.waiting.splice(0)) {
      try {
        this.plugin(method, options);
      } catch (e) {
        warn("consentry: iabPlugin", e);
      }
    }
  }

  /** @param {string} method @param {any} options */
  plugin(method, options) {
    // (A function: the facade's iabPlugin checks it when execute is called.)
    const callback = options.callback;
    if (!this.settled) return void this.waiting.push([method, options]);
    if (!this.data) return callback(fail("iabPlugin", "no TC data from a CMP in time"));
    if (method == "fetchConsentData") {
      const [gdprApplies, consentString, hasConsentChangedSinceLastCmpPull] = this.data;
      return callback(null, { gdprApplies, consentString, hasConsentChangedSinceLastCmpPull });
    }
    // execute hands over {...params, callback}, as Adobe's library does.
    // The public isApproved checks the category (and throws, naming it).
    callback(null, this.api.isApproved(options.category));
  }

  /** `iabPlugin.fetchConsentData({callback})`: `callback(null, {gdprApplies, consentString, hasConsentChangedSinceLastCmpPull})` once the CMP has answered; `callback(error)` when it did not in time. @param {any} options */
  fetchConsentData(options) {
    this.plugin("fetchConsentData", options);
  }

  /** `iabPlugin.isApproved({category, callback})` (what `execute({command: "iabPlugin.isApproved", params: {category}, callback})` passes): `callback(null, boolean)` once the CMP has answered or the wait has timed out. @param {any} options */
  isApproved(options) {
    this.plugin("isApproved", options);
  }
}
