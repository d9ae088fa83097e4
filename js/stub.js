// @ts-check
// The stub: defines `consentry` and `adobe.optIn` at once and queues every
// call until the wasm is ready; the facade then upgrades this same object in
// place, so references taken early stay valid. Before that it answers
// `isApproved` with false: nothing is approved by accident while loading.
// In the inline snippet (with `base`) it also starts the .wasm download and
// the script in parallel. Keep it small: it is inlined in every page's
// <head>.
/** @param {any} w @param {unknown} [base] @param {any} [config] */
export const stub = (w, base, config) => {
  // Consentry's name: its global's, its files', its record's and the
  // category name it keeps for itself.
  var Y = "consentry",
    c = (w[Y] ||= {}),
    a = (w.adobe ||= {});
  // The integrations' defaults, before any tag can read them (GCM and GPP
  // are set by scripts/build.mjs: both false in the base snippet, so the
  // block and its names vanish there; both true in the integrations snippet,
  // the full script and the ESM build; both false in the plain script,
  // whose configurations have no consentMode, uet or gpp):
  // - Google Consent Mode: every configured type denied (`true`: granted),
  //   one default per `regionDefaults` entry, then the main one, and the
  //   advanced settings; ahead of any command the page queued before;
  // - Microsoft UET: `ad_storage` denied;
  // - with `gpp.sections`, the `__gpp` stub of GPP 1.1 (ping, listeners,
  //   hasSection, getSection, getField answered at once), which the GPP
  //   module takes over with its listeners.
  // The wasm sends the updates.
  if ((GCM || GPP) && !c._g) {
    c._g = 1;
    let m = config && config.consentMode,
      u = config && config.uet,
      p = config && config.gpp,
      g = /** @type {any} */ ({}),
      D = /** @type {any[]} */ ([]),
      t = /** @type {(...a: any[]) => void} */ (function () { D.push(arguments); }),
      k,
      l;
    if (GCM && m) {
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
    if (GCM && u) (w.uetq = w.uetq || []).push("consent", "default", { ad_storage: "denied" });
    if (GPP && p && p.sections && !w.__gpp) {
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
  // (A script that does not make the stub, STUB false, calls this for the
  // integrations' defaults only: the rest compiles away.)
  if (!STUB || c.approve) return c;
  c._c = config;
  c._q = [];
  // By position: fetchPermissions (0) returns a function that removes the
  // subscription (a one-shot's does nothing, as Adobe's), execute (1)
  // nothing, and the last four a promise the replayed call settles; the
  // rest chain.
  "fetchPermissions execute approve deny approveAll denyAll complete on off registerPlugin memoizeContent decodeTCString showPreferences decodeGPPString renderPhoneCapture"
    .split(" ")
    // The call's arguments are its slot in the queue too: the facade marks
    // them (x: unsubscribed before the replay; f: what the replayed call
    // returned; r: the promise's resolve).
    .map((m, i) => (c[m] = (/** @type {any} */ ...g) => (
        c._q.push([m, g]),
        i > 10
          ? // renderPhoneCapture's options are read when it is called: their
            // own keys are copied now (the facade copies deeply at replay;
            // the other three take no object).
            ((g[1] &&= { ...g[1] }), new Promise((r) => (g.r = r)))
          : i > 1
            ? c
            : // (execute's g.f: undefined until the replay)
              i ? g.f : () => { g.f ? g.f() : (g.x = g[1]); }
      )),
    );
  a.OptInCategories = c.Categories = {
    AAM: "aam", ADCLOUD: "adcloud", ANALYTICS: "aa", CAMPAIGN: "campaign",
    ECID: "ecid", LIVEFYRE: "livefyre", TARGET: "target", MEDIA_ANALYTICS: "mediaaa",
  };
  // The answer at parse time (only in the inline snippet: EARLY, like GCM,
  // is set by scripts/build.mjs). Every input of the gate's start state is
  // here already: the configuration, the stored record and Global Privacy
  // Control. For a configuration of only doesOptInApply,
  // isOptInStorageEnabled, preOptInApprovals, categories, revision,
  // storage and gpc, and a record the gate reads exactly as JSON.parse does,
  // the snippet computes the start state as src/consent/permissions.rs
  // does (all denied, preOptInApprovals, GPC, the stored choice) and sets
  // `permissions`, `status` and `isApproved` now; the wasm takes over when
  // it has loaded. On any doubt (an unknown key, a function, a number with
  // a sign, fraction or exponent, an escape, deep nesting, a record near
  // its expiry) it gives up: no answer, everything denied and pending, as
  // before. tests/e2e/early.test.mjs checks it against the gate.
  var e = /** @type {any} */ ({}),
    /** @type {unknown} */ S,
    // The files' base: the site's, and the gate's build.
    F = base + Y;
  try {
    // The gate's full build, wasm and script, for a configuration with a
    // key only it reads (FULL_KEYS of js/facade.js: the base snippet
    // checks those a page without Consent Mode, UET and GPP uses; the
    // plain script hands over to the full one, and fetches the other
    // wasm, when this choice is not the configuration's). One that cannot
    // be read gets the plain build, which refuses it. (Only a snippet
    // starts the downloads.)
    if (SNIPPET && (config.ui || config.cookies || config.tcf || (GCM && (config.consentMode || config.uet || config.gpp)))) F += "-full";
    if (EARLY) {
      var N = Object.values(c.Categories),
        // Gives up unless `x` (calling 0 throws).
        T = /** @param {unknown} [x] */ (x) => x || /** @type {any} */ (0)(),
        // (JSON.stringify and JSON.parse: neither reads its this.)
        V = JSON.stringify,
        J = JSON.parse,
        // The permissions by name (no prototype: any name is a key).
        /** @type {any} */ Q = { __proto__: null },
        /** @type {any} */ k,
        /** @type {any} */ B,
        /** @type {any} */ m,
        /** @type {any} */ v,
        h,
        s,
        /** @type {boolean} */ l,
        // The configuration as the facade hands it to the gate (configText:
        // the text of an object's own keys, where a function, undefined or
        // a symbol does not parse), the keys the snippet reads and the
        // others (X).
        {
          doesOptInApply: A = !1,
          isOptInStorageEnabled: E = !1,
          preOptInApprovals: P = {},
          gpc: G = {},
          revision: R = 0,
          categories: K = [],
          storage: L = "cookie",
          ...X
        } = J("{" + Reflect.ownKeys(config).map((n) => V(n) + ":" + V(config[n])) + "}");
      // Each of these of the one type the gate takes, in this order:
      // doesOptInApply, isOptInStorageEnabled, revision, storage,
      // categories, preOptInApprovals, gpc; and no other key. (A null is
      // given up on: NaN and Infinity are null in JSON, and the gate
      // refuses them. In preOptInApprovals, a value that is not true
      // denies, as the gate reads it.)
      T(/^\[([tf]\w+,){2}\d{1,9},"(cookie|localStorage)",\[("[a-z0-9_-]{1,64}",?)*],{("[\w-]*":\w+,?)*},{("(sale|sharing)":\[("[\w-]*",?)*],?)*},{}]$/.test(V([A, E, R, L, K, P, G, X])));
      // ("localStorage" sorts after "l"; "cookie" and no storage do not.)
      l = L > "l";
      // All denied (opt-in off: all approved) but preOptInApprovals, then
      // GPC (denies, where opt-in applies).
      for (v of N.concat(K)) T(v != Y && !(v in Q)), (Q[v] = !A || P[v] === !0);
      for (v in G) for (h of G[v]) T(h in Q), /** @type {any} */ (navigator).globalPrivacyControl === !0 && (Q[h] = !A);
      // The stored record where the facade reads it (Adobe's value and
      // Consentry's), when each is as Consentry writes it, decoded as
      // src/consent/record.rs does.
      if (A && E) {
        // Each value as JSON.parse reads it ({} when there is none), if its
        // text has the shape `x`: Adobe's, memoized strings included;
        // Consentry's (none: revision 0, no time).
        var get = (/** @type {string} */ n, /** @type {RegExp} */ x) => (
          (n = l ? localStorage[n] : (k = document.cookie.match("(^|; )" + n + "=([^;]*)")) && decodeURIComponent(k[2])), T(x.test((n ??= "{}"))), J(n)
        );
        B = get("adobeujs-optin", /^{("[^"\\]*":(\w+|"[^"\\]*"),?)*}$/);
        m = get(Y, /^{("v":2,"rev":\d{1,9},"time":\d{1,15},"id":"[\w-]{0,64}"(,"(gpc|notice)":true)*,"choice":{("[\w-]+":\w+,?)*})?}$/);
        // A choice of an older revision no longer counts, nor an
        // acknowledged notice. Adobe's categories come from Adobe's value,
        // the site's from Consentry's (s: whether either holds one); one in
        // localStorage within a day of its expiry (34,190,000 s) is left to
        // the gate.
        if (~~m.rev >= R && !m.notice) {
          for (v in Q) (k = N.includes(v) ? B : m.choice) && Object.hasOwn(k, v) && ((s = 1), (Q[v] = k[v] === !0));
          s && l && T(m.time > Date.now() - 34104e6);
        }
      }
      e = Q;
      S = s || !A;
    }
  } catch (x) {}
  c.isApproved = (/** @type {unknown} */ x) => e[/** @type {any} */ (x)] === !0;
  c.isPreApproved = () => !1;
  c.getMemoizedContent = () => {};
  c.status = S ? "complete" : "pending";
  c.isComplete = !(c.isPending = !S);
  c.permissions = { ...e };
  c.consentRecord = null;
  a.optIn = c;
  // An inline snippet (SNIPPET, with the site's base URL) starts the
  // downloads in the next task: the answer above is the page's, so
  // starting them (2 to 5 ms of fetch and script insertion) waits until
  // the parser yields rather than delaying the tags after the snippet.
  if (SNIPPET)
    setTimeout(() => {
      // (A failed download is the console's "Uncaught (in promise)" error;
      // the gate's script, if it loads, says it could not start.)
      c._w = fetch(F + "_bg.wasm");
      // The script is the wasm's shell without the stub (this is the
      // stub), a module: consentry_bg.js or consentry-full_bg.js.
      import(F + "_bg.js");
    });
  return c;
};
