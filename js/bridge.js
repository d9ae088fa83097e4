// The phone form's delivery inside a Braze HTML in-app message
// (`delivery: "brazeBridge"`), a module of its own that only such a form
// loads: the Braze Web SDK's bridge subscribes the number (a subscription
// from the SDK enters the double opt-in by itself), logs the click and the
// consent record as an event, sends at once, and the message closes.
// @ts-check
import { warn } from "./host.js";

export { attach } from "./host.js";

/**
 * Delivers `e164` with the capture form's options `o` and its `consent`
 * record; `setState`, `t` and `callback` are the form's.
 * @param {any} o @param {string} e164 @param {Record<string, unknown>} consent
 * @param {(state: string, text: string) => void} setState @param {(key: string) => string} t
 * @param {(name: string, detail?: unknown) => void} callback
 */
export function bridged(o, e164, consent, setState, t, callback) {
  const b = /** @type {any} */ (window).brazeBridge;
  if (!b) {
    setState("error", t("unavailable"));
    warn("the phone form's delivery is brazeBridge, but this page has none: it is not inside a Braze HTML in-app message");
    return callback("onError", { phone: e164, status: 0, response: "no brazeBridge" });
  }
  const user = b.getUser();
  user.setPhoneNumber(e164);
  user.addToSubscriptionGroup(o.subscriptionGroupId);
  // Braze's event properties are short strings: the disclosure goes as its hash.
  const { disclosure: _, ...record } = consent;
  b.logCustomEvent("consentry_sms_consent", { subscription_group_id: o.subscriptionGroupId, ...record });
  b.logClick();
  b.requestImmediateDataFlush();
  setState(o.doubleOptIn ? "pending" : "success", o.doubleOptIn ? t("pending").replace("{phone}", e164) : t("success"));
  callback(o.doubleOptIn ? "onPending" : "onSuccess", { phone: e164 });
  // Long enough to read the confirmation.
  setTimeout(() => b.closeMessage(), 2500);
}
