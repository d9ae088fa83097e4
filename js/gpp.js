// The GPP module's shell (bundled with its wasm's glue into
// dist/consentry-gpp.mjs). With `gpp.sections` Consentry is the page's GPP
// CMP: `Cmp` takes `__gpp` over from the stub (its listeners included),
// answers the API of GPP 1.1, serves frames through a `__gppLocator` frame
// and, at every commit, has the wasm encode the choice, bracketed by
// `signalStatus` events. With `gpp.rules` it reads another CMP's `__gpp`
// (or its locator frame) and the wasm says what its opt-outs mean for the
// page's categories; without a signal in time the pre-opt-in defaults stay.
// @ts-check
import { initSync, configure, encode, applicable, decode, choices } from "../build/consentry-gpp.js";
import { warn, expected, locator, messageData } from "./common.js";

// The wasm's pure functions too: the differential test drives them in node.
export { initSync, configure, encode, choices };

const CALL_ID = "consentry-gpp";

/**
 * A callback of the `__gpp` API.
 * @typedef {(value: any, success: boolean) => void} Callback
 */

/** Consentry as the page's GPP CMP. */
export class Cmp {
  /** @param {any} config the configuration's `gpp` (with `sections`; `start` has read it) */
  constructor(config) {
    const w = /** @type {any} */ (window);
    const stub = w.__gpp;
    this.cmpId = config.cmpId | 0;
    /** @type {Map<number, Callback>} */
    this.listeners = new Map((stub && stub.e) || []);
    this.next = (stub && stub.n) || 1;
    this.signal = "not ready";
    this.string = "";
    this.parsed = "{}";
    /** @type {number[]} */
    this.list = [];
    /** @type {number[]} */
    this.applicable = [-1];
    /** @type {string[]} */
    this.supported = [];
    /** @type {[boolean[], boolean, string | null] | null} */
    this.last = null;
    w.__gpp = this.api.bind(this);
    // Frames reach the API through postMessage to the frame named __gppLocator.
    if (!w.frames.__gppLocator) {
      const frame = document.createElement("iframe");
      frame.name = "__gppLocator";
      frame.hidden = true;
      frame.title = "";
      (document.body || document.documentElement).appendChild(frame);
    }
    addEventListener("message", (event) => {
      const call = messageData(event)?.__gppCall;
      if (!call || typeof call.command != "string" || !event.source) return;
      const source = /** @type {Window} */ (event.source);
      this.api(call.command, (/** @type {unknown} */ returnValue, /** @type {boolean} */ success) => {
        const answer = { __gppReturn: { returnValue, success, callId: call.callId } };
        source.postMessage(typeof event.data == "string" ? JSON.stringify(answer) : answer, "*");
      }, call.parameter);
    });
    // cmpDisplayStatus: whether the banner or preference centre is shown.
    this.display = document.querySelector(".consentry-ui") ? "visible" : "hidden";
    addEventListener("consentry:display", (e) => {
      const state = /** @type {CustomEvent} */ (e).detail;
      if (state == this.display) return;
      this.display = state;
      this.fire("cmpDisplayStatus", state);
    });
    this.fire("cmpStatus", "loaded");
  }

  /** What `ping` answers, and every event's `pingData`: copies, which a listener may change. */
  ping() {
    return {
      gppVersion: "1.1",
      cmpStatus: "loaded",
      cmpDisplayStatus: this.display,
      signalStatus: this.signal,
      supportedAPIs: [...this.supported],
      cmpId: this.cmpId,
      sectionList: [...this.list],
      applicableSections: [...this.applicable],
      gppString: this.string,
      parsedSections: JSON.parse(this.parsed),
    };
  }

  /**
   * `__gpp(command, callback, parameter, version)`, as GPP 1.1 says.
   * @param {unknown} command @param {unknown} callback @param {any} [parameter]
   */
  api(command, callback, parameter) {
    const cb = typeof callback == "function" ? /** @type {Callback} */ (callback) : () => {};
    // A copy for the commands that read the sections.
    const sections = () => JSON.parse(this.parsed);
    switch (command) {
      case "ping":
        return cb(this.ping(), true);
      case "addEventListener": {
        const id = this.next++;
        this.listeners.set(id, cb);
        return cb({ eventName: "listenerRegistered", listenerId: id, data: true, pingData: this.ping() }, true);
      }
      case "removeEventListener":
        return cb(this.listeners.delete(parameter), true);
      case "hasSection":
        return cb(typeof parameter == "string" && parameter.split(".")[0] in sections(), true);
      case "getSection": {
        const v = (typeof parameter == "string" && sections()[parameter]) || null;
        return cb(v, v !== null);
      }
      case "getField": {
        const [s, f] = typeof parameter == "string" ? parameter.split(".") : [];
        const v = (s && f && sections()[s]?.[f]) ?? null;
        return cb(v, v !== null);
      }
      default:
        cb(null, false);
    }
  }

  /** @param {string} eventName @param {unknown} data */
  fire(eventName, data) {
    for (const [listenerId, cb] of this.listeners) {
      try {
        cb({ eventName, listenerId, data, pingData: this.ping() }, true);
      } catch (e) {
        warn("consentry: a __gpp listener threw", e);
      }
    }
  }

  /**
   * The choice changed (or the region became known): the string is encoded
   * again, between `signalStatus` "not ready" and "ready", with a
   * `sectionChange` for each section that changed.
   * @param {boolean[] | null} permissions the permissions in force, in category order (null: the last ones) @param {boolean} gpc @param {string | null} region
   */
  update(permissions, gpc, region) {
    if (!permissions) {
      if (!this.last) return;
      [permissions, gpc] = this.last;
    }
    this.last = [permissions, gpc, region];
    const string = encode(Uint8Array.from(permissions, Number), gpc);
    const applies = JSON.parse(applicable(region || ""));
    if (string == this.string && applies + "" == this.applicable + "") return;
    this.signal = "not ready";
    this.fire("signalStatus", "not ready");
    const before = JSON.parse(this.parsed);
    const d = JSON.parse(decode(string));
    this.string = string;
    this.parsed = JSON.stringify(d.parsedSections);
    this.list = d.sectionList;
    this.applicable = applies;
    const names = Object.keys(d.parsedSections);
    this.supported = names.map((name, i) => `${d.sectionList[i]}:${name}`);
    for (const name of names) {
      if (JSON.stringify(before[name]) != JSON.stringify(d.parsedSections[name])) this.fire("sectionChange", name);
    }
    this.signal = "ready";
    this.fire("signalStatus", "ready");
  }
}

/** Consentry reading another CMP's `__gpp`. */
export class Reader {
  /**
   * @param {number} timeout how long to wait for the CMP's signal, in ms
   * @param {string[]} names the page's category names in order
   * @param {(choices: Record<string, boolean>) => void} apply commits a CMP's choices
   */
  constructor(timeout, names, apply) {
    this.timeout = timeout;
    this.names = names;
    this.apply = apply;
    this.settled = false;
    this.seen = "";
  }

  /** Starts listening to the CMP. */
  listen() {
    const on = (/** @type {any} */ event, /** @type {unknown} */ ok) => ok === true && this.onEvent(event);
    const api = /** @type {any} */ (window).__gpp;
    if (typeof api == "function") {
      try {
        api.call(window, "addEventListener", on);
      } catch (e) {
        warn("consentry: __gpp threw", e);
      }
    } else {
      const frame = locator(window, "__gppLocator");
      if (frame) {
        addEventListener("message", (event) => {
          const ret = messageData(event)?.__gppReturn;
          if (ret && ret.callId === CALL_ID) on(ret.returnValue, ret.success);
        });
        frame.postMessage({ __gppCall: { command: "addEventListener", version: "1.1", callId: CALL_ID } }, "*");
      }
    }
    setTimeout(() => {
      if (!this.settled) warn("no GPP signal from a CMP in time (config.gpp.timeout); the pre-opt-in defaults stay");
      this.settled = true;
    }, this.timeout);
  }

  /**
   * An event of the CMP's: once its signal is ready, the rules apply to its
   * string and applicable sections; the same signal again changes nothing.
   * @param {any} event
   */
  onEvent(event) {
    try {
      const p = event && event.pingData;
      if (!p || p.signalStatus != "ready" || typeof p.gppString != "string") return;
      const sections = Array.isArray(p.applicableSections) ? p.applicableSections.filter(Number.isInteger) : [];
      const seen = p.gppString + "|" + sections;
      if (seen == this.seen) return;
      this.seen = seen;
      this.settled = true;
      const r = JSON.parse(choices(p.gppString, new Int32Array(sections)));
      if (r.warning) warn(r.warning);
      if (r.choices) this.apply(Object.fromEntries(r.choices.map((/** @type {[number, boolean]} */ [i, v]) => [this.names[i], v])));
    } catch (e) {
      warn("consentry: the CMP's GPP signal could not be read", e);
    }
  }
}

/**
 * Reads the configuration's `gpp` (the gate only checked that it is an
 * object): Consentry as the page's CMP, or reading another's; a mistake in
 * it is thrown as `consentry.init`'s Error.
 * @param {any} config @param {string[]} names the page's category names in order @param {boolean} gpc
 * @param {(choices: Record<string, boolean>) => void} apply commits a CMP's choices
 * @returns {Cmp | undefined} the CMP, which each commit updates
 */
export function start(config, names, gpc, apply) {
  const r = JSON.parse(configure(JSON.stringify(config), JSON.stringify(names)));
  if (r.error) throw new Error(`consentry.init: ${r.error}; GPP decides nothing`);
  if (r.cmp) return new Cmp(config);
  new Reader(r.timeout, names, apply).listen();
}

/** `decodeGPPString(gppString)`: `{sectionList, parsedSections}`, as `__gpp` gives them. @param {unknown} s */
export function decodeGPPString(s) {
  const r = typeof s == "string" ? JSON.parse(decode(s)) : { error: "not a string" };
  if (r.error) throw expected("decodeGPPString", "gppString is", s, `a GPP string (${r.error})`);
  return r;
}
