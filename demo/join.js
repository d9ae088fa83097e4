// Text-to-join by SMS and WhatsApp (consentry.renderTextToJoin), and a
// simulated phone that texts the keyword to the sandbox (/sandbox/inbound):
// /join.html (both) and /whatsapp.html (WhatsApp alone).
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var group = function () { return document.querySelector("input[name=channel]:checked").value; };
  var disclosure = "Text JOIN to 12345 to get Acme Alerts: up to 4 msgs/month. Msg & data rates may apply. " +
    "Reply HELP for help, STOP to cancel. Consent is not a condition of purchase.";
  var waDisclosure = "Send JOIN to Acme on WhatsApp to get order updates and offers from Acme Inc. " +
    "Reply STOP PROMOTIONS at any time to stop promotional messages.";

  function show() {
    // (The WhatsApp page has no SMS block.)
    if ($("sms-join")) {
      window.consentry.renderTextToJoin($("sms-join"), {
        number: "12345", keyword: "JOIN", programme: "Acme Alerts", disclosure: disclosure,
      });
    }
    window.consentry.renderTextToJoin($("wa-join"), {
      channel: "whatsapp", number: "+14155550100", keyword: "JOIN", programme: "Acme Inc. on WhatsApp", disclosure: waDisclosure,
    });
  }
  if (window.consentry.renderTextToJoin) show();
  else addEventListener("consentry:ready", show, { once: true });

  function refresh() {
    return window.simPhone.show($("from").value.trim(), group(), $("messages"), $("state"), { onlyGroup: true });
  }
  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    window.simPhone.reply($("from").value.trim(), group(), $("reply")).then(refresh);
  });
  document.querySelectorAll("input[name=channel]").forEach(function (r) { r.addEventListener("change", refresh); });
  $("from").addEventListener("change", refresh);
  refresh();
})();
