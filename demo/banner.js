// The banner page's panel: the policy Consentry applies, each category's
// permission and tag, whether the banner's module was fetched, and a log.
(function () {
  var c = window.consentry;
  var $ = function (id) { return document.getElementById(id); };
  var q = new URLSearchParams(location.search);
  ["region", "lang", "layout"].forEach(function (k) { if (q.has(k)) $(k).value = q.get(k); });
  $("gpc").checked = q.get("gpc") == "1";

  function pill(el, text, kind) {
    el.textContent = text;
    el.className = "pill " + (kind || text);
  }
  function log(text) {
    var li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + "  " + text;
    $("log").prepend(li);
  }
  function fetched() {
    return performance.getEntriesByType("resource").some(function (e) { return /consentry-ui\.mjs$/.test(e.name); });
  }
  function render() {
    var policy = document.documentElement.getAttribute("data-consentry-policy") || "none";
    pill($("policy"), policy, policy == "opt-in" ? "pending" : "approved");
    pill($("status"), c.status);
    pill($("fetched"), fetched() ? "yes" : "no", fetched() ? "staged" : "approved");
    var ran = window.demoTagsRan || [];
    var body = $("categories");
    body.textContent = "";
    ["necessary", "analytics", "marketing"].forEach(function (cat) {
      var row = document.createElement("tr");
      var name = document.createElement("th");
      name.scope = "row";
      name.textContent = cat;
      var perm = document.createElement("td");
      var p = document.createElement("span");
      pill(p, c.permissions[cat] ? "approved" : "denied");
      perm.appendChild(p);
      var tag = document.createElement("td");
      var t = document.createElement("span");
      var hasTag = cat != "necessary";
      pill(t, !hasTag ? "none" : ran.indexOf(cat) >= 0 ? "ran" : "waiting", ran.indexOf(cat) >= 0 ? "ran" : "staged");
      tag.appendChild(t);
      row.append(name, perm, tag);
      body.appendChild(row);
    });
  }
  window.addEventListener("consentry:ready", function () { render(); log("ready: policy " + document.documentElement.getAttribute("data-consentry-policy")); });
  window.addEventListener("consentry:complete", function (e) {
    var changes = Object.keys(e.detail.changes).map(function (k) { return k + (e.detail.changes[k] ? " on" : " off"); });
    log("committed: " + (changes.join(", ") || "no change"));
    render();
  });
  window.addEventListener("demo:tag", function (e) { log("tag ran: " + e.detail); render(); });
  $("forget").addEventListener("click", function () {
    ["adobeujs-optin", "consentry"].forEach(function (k) { document.cookie = k + "=; path=/; max-age=0"; });
    location.reload();
  });
  // The banner's module arriving (the "fetched" pill) is a resource entry.
  new PerformanceObserver(render).observe({ type: "resource" });
})();
