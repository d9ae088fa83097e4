// Braze's Web SDK against the sandbox (its /api/v3/data/ stand-in), and an
// HTML in-app message carrying the phone form with delivery "brazeBridge".
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var phone = "";


  var user = sessionStorage.getItem("consentry-demo-braze-user") || "demo-" + Math.random().toString(36).slice(2, 10);
  sessionStorage.setItem("consentry-demo-braze-user", user);
  $("user").textContent = user;
  window.braze.initialize("consentry-demo", {
    baseUrl: location.origin,
    allowUserSuppliedJavascript: true,
    doNotLoadFontAwesome: true,
  });
  window.braze.changeUser(user);
  window.braze.openSession();

  // The message's own page: Consentry's snippet and the form, which waits
  // for Consentry to load. (An HTML message's document takes this page's
  // base URL, so the paths are the site's.)
  var disclosure = "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts " +
    "(up to 4 msgs/month). Consent is not a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel.";
  var message = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Get texts from Acme</title>' +
    "<style>body{margin:0;min-height:100vh;display:grid;place-items:center;padding:16px;box-sizing:border-box;" +
    "background:rgb(17 24 39 / .6);font-family:system-ui,sans-serif}#card{position:relative;width:100%;max-width:28rem}" +
    "#close{position:absolute;top:8px;inset-inline-end:8px;z-index:1;width:40px;height:40px;border:0;border-radius:50%;" +
    "background:transparent;font-size:24px;cursor:pointer;color:#4b5563}</style>" +
    "<script>window.consentryConfig = { doesOptInApply: true, categories: [\"sms\"] };</" + "script>" +
    '<script src="/consentry/snippet.min.js"></' + "script></head><body>" +
    '<div id="card"><button id="close" type="button" aria-label="Close">×</button><div id="form"></div></div>' +
    "<script>document.getElementById(\"close\").addEventListener(\"click\", function () { brazeBridge.closeMessage(); });" +
    "consentry.renderPhoneCapture(document.getElementById(\"form\"), { subscriptionGroupId: \"acme-sms\", delivery: \"brazeBridge\"," +
    " programme: \"Acme Alerts\", countries: [\"US\", \"CA\", \"GB\", \"KR\", \"JP\"], disclosure: " + JSON.stringify(disclosure) +
    ", onPending: function (e) { parent.postMessage({ consentryPhone: e.phone }, \"*\"); } });</" + "script></body></html>";

  $("show").addEventListener("click", function () {
    window.braze.showInAppMessage(new window.braze.HtmlMessage(message));
    $("sdk-status").textContent = "The in-app message is open.";
  });

  // The simulated phone follows the number the form subscribed. (The
  // message's document is about:srcdoc, whose location.origin is "null",
  // so it posts to "*"; its messages carry this page's origin.)
  addEventListener("message", function (e) {
    if (e.origin !== location.origin || !e.data || !e.data.consentryPhone) return;
    phone = e.data.consentryPhone;
    $("sdk-status").textContent = "The SDK sent " + phone + " and the subscription to acme-sms.";
    setTimeout(refresh, 800);
  });

  function refresh() {
    if (phone) window.simPhone.show(phone, "acme-sms", $("messages"), $("state"));
  }

  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!phone) return;
    window.simPhone.reply(phone, "acme-sms", $("reply")).then(refresh);
  });
})();
