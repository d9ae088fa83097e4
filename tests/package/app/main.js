// A site's code, exactly as the README's "With a bundler" section writes it:
// the gate, a phone form and a TC string, all from the installed package.
import consentry, { init } from "consentry";

window.result = (async () => {
  await init({ doesOptInApply: true, categories: ["sms"] });
  consentry.approve("aa");
  await consentry.renderPhoneCapture(document.getElementById("f"), {
    subscriptionGroupId: "acme-sms",
    endpoint: "/api",
    programme: "Acme Alerts",
    disclosure: "By checking this box you agree to receive recurring automated marketing texts from Acme Alerts " +
      "(up to 4 msgs/month). Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
    countries: ["US"],
  });
  // The form shows once its stylesheet has loaded (or failed).
  await new Promise(function shown(resolve) {
    document.querySelector("#f form[hidden]") ? requestAnimationFrame(() => shown(resolve)) : resolve();
  });
  const tc = await consentry.decodeTCString(new URLSearchParams(location.search).get("tc"));
  return {
    approved: consentry.isApproved("aa") && !consentry.isApproved("sms"),
    form: document.querySelectorAll("#f form input[type=tel]").length,
    // The default stylesheet reached the page: the button has the brand colour.
    styled: getComputedStyle(document.querySelector("#f .consentry-submit")).backgroundColor,
    cmpId: tc.cmpId,
  };
})();
