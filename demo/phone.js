// The sandbox demo: a site backend's call to the subscription API, and a
// simulated phone reading the outbox and replying through /sandbox/inbound.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var phone = function () { return $("phone").value.trim(); };
  var group = function () { return $("group").value; };

  function getJson(url) {
    return fetch(url).then(function (r) { return r.json(); });
  }

  function postJson(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (v) { return { status: r.status, body: v }; }); });
  }

  function refresh() {
    getJson("/sandbox/quota").then(function (q) { $("quota").textContent = q.remaining + " of " + q.total; });
    return window.simPhone.show(phone(), group(), $("messages"), $("state"), {
      line: function (m) {
        return m.body + " (" + m.segments + " segment" + (m.segments === 1 ? "" : "s") + (m.status === "sent" ? "" : ", " + m.status) + ")";
      },
      label: function (g, state) { return !g ? "invalid number" : state === "pending" ? "pending (reads as unsubscribed)" : state; },
    });
  }

  $("backend").addEventListener("submit", function (e) {
    e.preventDefault();
    postJson("/subscription/status/set", {
      subscription_group_id: group(),
      subscription_state: "subscribed",
      phone: [phone()],
      use_double_opt_in_logic: $("double").checked,
    }).then(function (r) {
      $("response").textContent = r.status + " " + JSON.stringify(r.body, null, 2);
      return refresh();
    });
  });

  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    window.simPhone.reply(phone(), group(), $("reply")).then(refresh);
  });

  // The SDK's form: inline, and as an in-app message (a modal dialog).
  var formOptions = function (mode) {
    return {
      subscriptionGroupId: "acme-sms",
      endpoint: "/",
      countries: ["US", "CA", "GB", "KR", "JP"],
      defaultCountry: "US",
      mode: mode,
      programme: "Acme Alerts",
      disclosure: "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts " +
        "(up to 4 msgs/month). Consent is not a condition of purchase. Msg & data rates may apply. " +
        "Reply HELP for help, STOP to cancel.",
      // Texting the keyword is the other way in.
      textToJoin: mode === "inline" ? {
        number: "12345", keyword: "JOIN",
        // Its own disclosure: the form's speaks of a checkbox.
        disclosure: "Text JOIN to 12345 to get recurring automated marketing texts from Acme Alerts (up to 4 msgs/month). " +
          "Consent is not a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
      } : undefined,
      onPending: function (e) { $("phone").value = e.phone; refresh(); },
      onSuccess: function (e) { $("phone").value = e.phone; refresh(); },
    };
  };
  // The form posts to the relay in front of the sandbox, the production
  // path (README, "Going live with Braze"), when the demo runs one.
  var relay = getJson("/sandbox/relay").then(function (r) { return r.url || "/"; }, function () { return "/"; });
  function showForm() {
    relay.then(function (url) {
      var o = formOptions("inline");
      o.endpoint = url;
      window.consentry.renderPhoneCapture($("inline-form"), o);
    });
  }
  if (window.consentry.renderPhoneCapture) showForm();
  else window.addEventListener("consentry:ready", showForm, { once: true });
  $("open-modal").addEventListener("click", function () {
    relay.then(function (url) {
      var o = formOptions("modal");
      o.endpoint = url;
      window.consentry.renderPhoneCapture(document.body, o);
    });
  });

  $("phone").addEventListener("change", refresh);
  $("group").addEventListener("change", refresh);
  refresh();
})();
