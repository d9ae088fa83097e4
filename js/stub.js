// @ts-check
// The stub: defines `consentry` and `adobe.optIn` at once and queues every
// call until the wasm is ready; the facade then upgrades this same object in
// place, so references taken early stay valid. Before that it answers
// `isApproved` with false: nothing is approved by accident while loading.
// `load` (the inline snippet) also starts the .wasm download and the script
// in parallel. Keep it small: it is inlined in every page's <head>.
/** @param {any} w @param {any} d @param {unknown} [base] @param {any} [config] @param {unknown} [load] */
export function stub(w, d, base, config, load) {
  var c = (w.consentry = w.consentry || {}),
    q = (c._q = c._q || []),
    a = (w.adobe = w.adobe || {});
  // The integrations' defaults, before any tag can read them (GCM is
  // false in the base snippet, so the block and its names vanish there,
  // and true in the integrations snippet and the bundles; scripts/build.mjs):
  // - Google Consent Mode: every configured type denied (`true`: granted),
  //   one default per `regionDefaults` entry, then the main one, and the
  //   advanced settings; ahead of any command the page queued before;
  // - Microsoft UET: `ad_storage` denied;
  // - with `gpp.sections`, the `__gpp` stub of GPP 1.1 (ping, listeners,
  //   hasSection, getSection, getField answered at once), which the GPP
  //   module takes over with its listeners.
  // The wasm sends the updates.
  if (GCM && !c._g) {
    c._g = 1;
    let m = config && config.consentMode,
      u = config && config.uet,
      p = config && config.gpp,
      g = /** @type {any} */ ({}),
      D = /** @type {any[]} */ ([]),
      t = /** @type {(...a: any[]) => void} */ (function () { D.push(arguments); }),
      k,
      l;
    if (m) {
      l = w.dataLayer = w.dataLayer || [];
      w.gtag = w.gtag || function () { l.push(arguments); };
      for (k in m) if (/_/.test(k)) g[k] = m[k] === !0 ? "granted" : "denied";
      g.wait_for_update = m.waitForUpdate || 500;
      for (k of m.regionDefaults || []) {
        let h = { ...g, region: k.region };
        for (let x of k.granted) h[x] = "granted";
        t("consent", "default", h);
      }
      if (m.regions) g.region = m.regions;
      t("consent", "default", g);
      m.urlPassthrough && t("set", "url_passthrough", !0);
      m.adsDataRedaction && t("set", "ads_data_redaction", !0);
      m.developerId && t("set", "developer_id." + m.developerId, !0);
      // Before what the page queued, unless Google's tag already runs.
      l.push == [].push ? l.unshift(...D) : D.map((a) => l.push(a));
    }
    if (u) (w.uetq = w.uetq || []).push("consent", "default", { ad_storage: "denied" });
    if (p && p.sections && !w.__gpp) {
      let ping = () => ({
        gppVersion: "1.1", cmpStatus: "stub", cmpDisplayStatus: "hidden", signalStatus: "not ready", supportedAPIs: [],
        cmpId: p.cmpId | 0, sectionList: [], applicableSections: [-1], gppString: "", parsedSections: {},
      }),
        /** @type {any} */ G = (w.__gpp = function (/** @type {unknown} */ x, /** @type {any} */ f, /** @type {unknown} */ a) {
          f = typeof f == "function" ? f : () => {};
          x == "ping"
            ? f(ping(), !0)
            : x == "addEventListener"
              ? (G.e.set(G.n, f), f({ eventName: "listenerRegistered", listenerId: G.n++, data: !0, pingData: ping() }, !0))
              : x == "removeEventListener"
                ? f(G.e.delete(a), !0)
                : x == "hasSection" ? f(!1, !0) : f(null, !1);
        });
      G.e = new Map();
      G.n = 1;
    }
  }
  if (c.approve) return c;
  c._c = config;
  // By position: fetchPermissions (5) returns a function that removes the
  // subscription (a one-shot's does nothing, as Adobe's),
  // execute (9) nothing, and the last four a promise the replayed call
  // settles; the rest chain.
  "approve deny approveAll denyAll complete fetchPermissions on off registerPlugin execute memoizeContent renderPhoneCapture decodeTCString showPreferences decodeGPPString"
    .split(" ")
    .forEach((m, i) => {
      c[m] = function () {
        var s = /** @type {any} */ ({ a: arguments[1] });
        // renderPhoneCapture's options are read when it is called: their
        // own keys are copied now (the facade copies deeply at replay).
        i == 11 && arguments[1] && (arguments[1] = { ...arguments[1] });
        q.push([m, arguments, s]);
        return i == 5
          ? function () { s.f ? s.f() : (s.x = s.a); }
          : i == 9 ? void 0 : i > 10 ? new Promise((r) => (s.r = r)) : c;
      };
    });
  a.OptInCategories = c.Categories = {
    AAM: "aam", ADCLOUD: "adcloud", ANALYTICS: "aa", CAMPAIGN: "campaign",
    ECID: "ecid", LIVEFYRE: "livefyre", TARGET: "target", MEDIA_ANALYTICS: "mediaaa",
  };
  // The early answer (only in the inline snippet: EARLY, like GCM, is set
  // by scripts/build.mjs): before the wasm has loaded, `isApproved` answers
  // true for one of Adobe's categories that the stored record approves,
  // only where the gate is certain to approve it at start
  // (tests/e2e/early.test.mjs checks this against the gate on generated
  // configurations and records). That is: a configuration of exactly
  // doesOptInApply: true and isOptInStorageEnabled: true, in that order
  // (the cookies are
  // the store, revision 0); both of the record's cookies, Consentry's with
  // valid fields; no number with a sign, fraction or exponent in either
  // (JSON.parse reads them, the gate does not), no nesting the gate
  // refuses, and the category's value in Adobe's cookie the boolean true.
  // Anything else: false, as before.
  var e = /** @type {any} */ ({});
  if (EARLY) {
    let k = config,
      r,
      m,
      q = (/** @type {string} */ n) =>
        /[:,[]\s*(-|\d+[.eE])/.test((r = decodeURIComponent(d.cookie.match(RegExp("(^|; )" + n + "=([^;]*)"))[2]))) || r.split(/[[{]/).length > 31
          ? 0
          : JSON.parse(r);
    try {
      if (Object.getOwnPropertyNames(k) + "" == "doesOptInApply,isOptInStorageEnabled" && k.doesOptInApply === !0 && k.isOptInStorageEnabled === !0) {
        m = q("consentry");
        r = q("adobeujs-optin");
        if (m.v === 2 && m.rev === 0 && Number.isSafeInteger(m.time) && /^"[ -~]{0,64}"$/.test(JSON.stringify(m.id)))
          for (k of Object.values(c.Categories)) e[k] = r[k] === !0;
      }
    } catch (x) {}
  }
  c.isApproved = (/** @type {unknown} */ x) => e[/** @type {any} */ (x)] === !0;
  c.isPreApproved = () => !1;
  c.getMemoizedContent = () => {};
  c.status = "pending";
  c.isPending = !0;
  c.isComplete = !1;
  c.permissions = {};
  c.consentRecord = null;
  a.optIn = c;
  if (load) {
    c._b = base;
    // A configuration with `ui` takes the gate's banner build. (One that
    // cannot be read gets no early download; the script refuses it.)
    try {
      (c._w = fetch(base + "consentry" + (config.ui ? "-banner" : "") + "_bg.wasm")).catch(() => {});
    } catch (x) {}
    // A script inserted without src starts loading once src is set.
    d.head.appendChild(d.createElement("script")).src = base + "consentry.js";
  }
  return c;
}
