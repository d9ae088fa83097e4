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
  // Google Consent Mode: every configured type starts denied (`true`:
  // granted) before any Google tag can read it; the wasm sends the update.
  // GCM is false in the base snippet (it stays under 1 KB; the block and its
  // block-scoped names then vanish) and true in the Consent Mode snippet and
  // the bundles (scripts/build.mjs).
  if (GCM) {
    let m = config && config.consentMode,
      g = /** @type {any} */ ({}),
      k,
      l;
    if (m && !c._g) {
      c._g = l = w.dataLayer = w.dataLayer || [];
      w.gtag = w.gtag || function () { l.push(arguments); };
      for (k in m) if (/_/.test(k)) g[k] = m[k] === !0 ? "granted" : "denied";
      g.wait_for_update = m.waitForUpdate || 500;
      if (m.regions) g.region = m.regions;
      w.gtag("consent", "default", g);
    }
  }
  if (c.approve) return c;
  c._c = config;
  // By position: fetchPermissions (5) returns a function that removes the
  // subscription (a one-shot's does nothing, as Adobe's),
  // execute (9) nothing, and the last three a promise the replayed call
  // settles; the rest chain.
  "approve deny approveAll denyAll complete fetchPermissions on off registerPlugin execute memoizeContent renderPhoneCapture decodeTCString showPreferences"
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
