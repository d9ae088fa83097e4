// The banner page's configuration. The switcher's query stands in for what
// a site gets from its CDN (the visitor's region) and its own page (the
// language); GPC is simulated here because Chromium does not send it.
(function () {
  var q = new URLSearchParams(location.search);
  if (q.get("gpc") == "1") Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: function () { return true; } });
  if (q.get("lang")) document.documentElement.lang = q.get("lang");
  window.consentryConfig = {
    categories: ["necessary", "analytics", "marketing"],
    isOptInStorageEnabled: true,
    revision: Number(q.get("revision") || 0),
    cookies: { analytics: ["demo_analytics*"], marketing: ["demo_marketing*"] },
    ui: {
      layout: q.get("layout") || "bar",
      privacyPolicy: "/banner.html#privacy",
      necessary: ["necessary"],
      services: { analytics: ["Matomo"], marketing: ["Google Ads", "Meta Pixel"] },
      regions: { EEA: "opt-in", GB: "opt-in", CH: "opt-in", BR: "opt-in", KR: "opt-in", "US-CA": "opt-out", US: "notice" },
      region: q.get("region") || undefined,
    },
  };
})();
