// The integrations demo: a TCF CMP built on the IAB's CmpApi that encodes
// real TC strings with the IAB's TCString from the visitor's choices (and
// keeps them in localStorage, as a CMP keeps its euconsent-v2 cookie), and
// the panels that show what Consentry, the Google tag, the gated tags and the
// cookies make of them.
(function () {
  var PURPOSES = [
    "Store and/or access information on a device", "Use limited data to select advertising",
    "Create profiles for personalised advertising", "Use profiles to select personalised advertising",
    "Create profiles to personalise content", "Use profiles to select personalised content",
    "Measure advertising performance", "Measure content performance",
    "Understand audiences through statistics", "Develop and improve services",
  ];
  var VENDORS = { 565: "Adobe Advertising Cloud", 755: "Google Advertising Products" };
  var STORE = "demo-euconsent-v2";
  var CMP_ID = 10;

  var byId = function (list) {
    var out = {};
    list.forEach(function (name, i) { out[i + 1] = { id: i + 1, name: name, description: "", illustrations: [] }; });
    return out;
  };
  var vendors = {};
  Object.keys(VENDORS).forEach(function (id) {
    vendors[id] = {
      id: Number(id), name: VENDORS[id], purposes: [1, 2, 3, 4, 7, 10], legIntPurposes: [], flexiblePurposes: [],
      specialPurposes: [], features: [], specialFeatures: [], cookieMaxAgeSeconds: 31536000, usesCookies: true,
      cookieRefresh: false, usesNonCookieAccess: false, deviceStorageDisclosureUrl: "", urls: [],
    };
  });
  var gvl = new iab.GVL({
    gvlSpecificationVersion: 3, vendorListVersion: 1, tcfPolicyVersion: 5, lastUpdated: "2026-11-01T00:00:00Z",
    purposes: byId(PURPOSES.concat("Use limited data to select content")), specialPurposes: {}, features: {},
    specialFeatures: {}, vendors: vendors, stacks: {}, dataCategories: {},
  });

  // The CMP answers __tcfapi (and the locator frame) from here on: with the
  // stored TC string, or with its UI shown when there is none yet.
  var cmp = new iab.CmpApi(CMP_ID, 1, true);
  var stored = localStorage.getItem(STORE);
  cmp.update(stored || "", !stored);

  function encode(purposes, vendorIds) {
    var model = new iab.TCModel(gvl);
    model.cmpId = CMP_ID;
    model.cmpVersion = 1;
    model.consentScreen = 1;
    model.publisherCountryCode = "DE";
    model.isServiceSpecific = true;
    model.purposeConsents.set(purposes);
    model.vendorConsents.set(vendorIds);
    return iab.TCString.encode(model);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var $ = function (id) { return document.getElementById(id); };
    var c = window.consentry;

    function checkboxes(into, items, name) {
      Object.keys(items).forEach(function (id) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = name;
        box.value = id;
        label.append(box, " " + id + ". " + items[id]);
        $(into).append(label, document.createElement("br"));
      });
    }
    var purposeNames = {};
    PURPOSES.forEach(function (p, i) { purposeNames[i + 1] = p; });
    checkboxes("purposes", purposeNames, "purpose");
    checkboxes("vendors", VENDORS, "vendor");
    var boxes = function (name) { return Array.prototype.slice.call(document.querySelectorAll("input[name=" + name + "]")); };
    var checked = function (name) { return boxes(name).filter(function (b) { return b.checked; }).map(function (b) { return Number(b.value); }); };

    // decodeTCString exists once Consentry has loaded (the snippet's stub
    // lacks it).
    function whenReady(f) {
      if (c.decodeTCString) f();
      else window.addEventListener("consentry:ready", f, { once: true });
    }
    function showString(tcString) {
      $("tc-string").textContent = tcString || "none (GDPR does not apply, or no choice yet)";
      $("tc-decoded").textContent = "";
      if (tcString) whenReady(function () { decode(tcString); });
    }
    function decode(tcString) {
      c.decodeTCString(tcString).then(function (tc) {
        boxes("purpose").forEach(function (b) { b.checked = tc.purposeConsents.indexOf(Number(b.value)) >= 0; });
        boxes("vendor").forEach(function (b) { b.checked = tc.vendorConsents.indexOf(Number(b.value)) >= 0; });
        $("tc-decoded").textContent = JSON.stringify({
          cmpId: tc.cmpId, lastUpdated: new Date(tc.lastUpdated).toISOString(),
          purposeConsents: tc.purposeConsents, vendorConsents: tc.vendorConsents,
        }, null, 1);
      }, function (e) { $("tc-decoded").textContent = String(e); });
    }
    function save(purposes, vendorIds) {
      var tcString = encode(purposes, vendorIds);
      localStorage.setItem(STORE, tcString);
      cmp.update(tcString, false);
      showString(tcString);
    }
    $("cmp-accept").onclick = function () { save([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [565, 755]); };
    $("cmp-reject").onclick = function () { save([], []); };
    $("cmp-save").onclick = function () { save(checked("purpose"), checked("vendor")); };
    $("cmp-no-gdpr").onclick = function () {
      localStorage.removeItem(STORE);
      cmp.update(null, false);
      showString(null);
    };
    ["aa", "target"].forEach(function (cat) {
      $("approve-" + cat).onclick = function () { c.approve(cat); };
      $("deny-" + cat).onclick = function () { c.deny(cat); };
    });
    $("forget").onclick = function () {
      localStorage.removeItem(STORE);
      document.cookie.split("; ").forEach(function (kv) {
        document.cookie = kv.split("=")[0] + "=; max-age=0; path=/";
      });
      location.reload();
    };

    function render() {
      var p = c.permissions;
      var body = $("categories");
      body.textContent = "";
      ["aam", "ecid", "aa", "target"].forEach(function (cat) {
        var row = body.insertRow();
        row.id = "row-" + cat;
        var th = document.createElement("th");
        th.scope = "row";
        th.textContent = cat;
        row.append(th);
        row.insertCell().textContent = p[cat] ? "approved" : "denied";
        row.insertCell().textContent = cat === "aam" || cat === "ecid" ? "the CMP (TCF)" : "the buttons below";
      });
      $("cookies").textContent = document.cookie.split("; ").filter(function (kv) { return /^(demo_|mbox)/.test(kv); }).join("\n") || "none";
    }
    function item(list, text) {
      var li = document.createElement("li");
      li.textContent = text;
      $(list).append(li);
    }
    (window.googleConsentCalls || []).forEach(function (call) { item("gtag-calls", call[0] + " " + JSON.stringify(call[1])); });
    window.addEventListener("demo:gtag", function (e) { item("gtag-calls", e.detail[0] + " " + JSON.stringify(e.detail[1])); });
    (window.demoTagsRan || []).forEach(function (text) { item("tags-ran", text); });
    window.addEventListener("demo:tag", function (e) { item("tags-ran", e.detail); render(); });
    window.addEventListener("consentry:complete", render);
    $("gpc").textContent = navigator.globalPrivacyControl ? "on" : "off";
    showString(stored);
    whenReady(render);
  });
})();
