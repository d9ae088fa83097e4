// The sign-up flow (consentry.renderSignup) through the demo's relay, and
// what the sandbox recorded: the SMS workflow and the email consent log.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var phone = "", email = "";

  function getJson(url) {
    return fetch(url).then(function (r) { return r.json(); });
  }
  function refresh() {
    var jobs = [];
    if (phone) jobs.push(window.simPhone.show(phone, "acme-sms", $("messages"), $("state")));
    if (email) {
      jobs.push(getJson("/sandbox/consent-log?email=" + encodeURIComponent(email)).then(function (v) {
        var list = $("email-log");
        list.textContent = "";
        (v.entries || []).forEach(function (e) {
          var li = document.createElement("li");
          // (Through the relay the disclosure is in its ledger: Braze gets none.)
          li.textContent = e.subscription_group_id + ": " + e.state + (e.disclosure ? " (" + e.disclosure + ")" : "");
          list.appendChild(li);
        });
      }));
    }
    return Promise.all(jobs);
  }

  var relay = getJson("/sandbox/relay").then(function (r) { return r.url || "/"; }, function () { return "/"; });
  function show() {
    relay.then(function (url) {
      window.consentry.renderSignup($("signup-form"), {
        endpoint: url,
        countries: ["US", "CA", "GB", "KR", "JP"],
        email: {
          subscriptionGroupId: "acme-email",
          disclosure: "Acme News: our offers by email, about twice a month. Unsubscribe at any time from any email.",
        },
        sms: {
          subscriptionGroupId: "acme-sms",
          disclosure: "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts " +
            "(up to 4 msgs/month). Consent is not a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
        },
        onSubmit: function (e) { phone = e.phone; email = e.email; },
        onPending: function () { setTimeout(refresh, 300); },
        onSuccess: function () { setTimeout(refresh, 300); },
      });
    });
  }
  if (window.consentry.renderSignup) show();
  else addEventListener("consentry:ready", show, { once: true });

  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!phone) return;
    window.simPhone.reply(phone, "acme-sms", $("reply")).then(refresh);
  });
})();
