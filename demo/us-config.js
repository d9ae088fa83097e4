// The US page's configuration: Consentry as the page's GPP CMP for usnat and
// four states, with the opt-out policy in the US. The switcher's query
// stands in for the CDN's region; GPC is simulated (Chromium does not send it).
(function () {
  var q = new URLSearchParams(location.search);
  if (q.get("gpc") == "1") Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: function () { return true; } });
  window.consentryConfig = {
    categories: ["necessary", "analytics", "marketing"],
    isOptInStorageEnabled: true,
    gpc: { sale: ["marketing"], sharing: ["marketing"] },
    gpp: {
      cmpId: 0, mspa: "opt-out",
      sections: ["usnat", "usca", "usva", "usco"],
      optOuts: { sale: ["marketing"], sharing: ["marketing"], targetedAdvertising: ["marketing"] },
    },
    ui: {
      necessary: ["necessary"],
      services: { analytics: ["Matomo"], marketing: ["Google Ads", "Meta Pixel"] },
      regions: { US: "opt-out", EEA: "opt-in", "*": "opt-in" },
      region: q.get("region") || "US-CA",
    },
  };
})();
