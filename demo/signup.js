// Sign-up and log-in by phone: consentry.renderPhoneVerification against
// the sandbox's /verify service; the "site backend" checks the token
// (POST /verify/token) before it opens a session, kept in sessionStorage.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var KEY = "consentry-demo-session";
  var purpose = "signup";
  var number = "";
  var form = null;
  var shown = 0;

  function getJson(url) {
    return fetch(url).then(function (r) { return r.json(); });
  }

  function session() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }

  // The simulated phone: every text to the number, the codes among them.
  function refresh() {
    var quota = getJson("/sandbox/quota").then(function (q) {
      $("quota").textContent = q.remaining + " of " + q.total;
      $("codes").textContent = q.used.verification;
    });
    $("to").textContent = number || "no number yet";
    if (!number) return quota;
    return getJson("/sandbox/outbox?phone=" + encodeURIComponent(number)).then(function (o) {
      var list = $("messages");
      list.textContent = "";
      (o.messages || []).forEach(function (m) {
        var li = document.createElement("li");
        li.textContent = m.body;
        list.appendChild(li);
      });
    });
  }

  function show() {
    var s = session();
    var mine = ++shown;
    if (form) { form.destroy(); form = null; }
    if (s) number = s.phone;
    $("signed-in").hidden = !s;
    $("switch").hidden = !!s;
    if (s) {
      $("member").textContent = s.phone;
      $("claims").textContent = s.purpose + " at " + new Date(s.iat * 1000).toLocaleTimeString();
      return;
    }
    $("other").textContent = purpose === "signup" ? "Have an account? Log in" : "New here? Sign up";
    window.consentry.renderPhoneVerification($("verify-form"), {
      endpoint: "/",
      purpose: purpose,
      countries: ["US", "CA", "GB", "KR", "JP"],
      onCodeSent: function (e) { number = e.phone; refresh(); },
      onError: function () { refresh(); },
      onVerified: function (e) {
        // The backend trusts the token, not the browser.
        fetch("/verify/token", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: e.token }) })
          .then(function (r) { return r.json(); })
          .then(function (v) {
            if (!v.valid) return;
            sessionStorage.setItem(KEY, JSON.stringify({ phone: v.claims.sub, purpose: v.claims.purpose, iat: v.claims.iat }));
            show();
            refresh();
          });
      },
    }).then(function (f) {
      // Only the latest form stays.
      if (mine === shown) form = f;
      else f.destroy();
    });
  }

  $("logout").addEventListener("click", function () {
    sessionStorage.removeItem(KEY);
    purpose = "login";
    show();
  });
  $("other").addEventListener("click", function () {
    purpose = purpose === "signup" ? "login" : "signup";
    show();
  });
  function start() { show(); refresh(); }
  if (window.consentry.renderPhoneVerification) start();
  else window.addEventListener("consentry:ready", start, { once: true });
})();
