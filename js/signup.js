// The sign-up form's shell (bundled into consentry-form.mjs): email and
// phone, two boxes never ticked beforehand, each with its disclosure, sent
// as Braze's /users/track through the capture form's outbox (Idempotency-
// Key, retries, the next page load). What the options mean, what a typed
// field is and what the body says are the wasm's (form/src/rules/signup.rs).
// Every text goes in with `textContent` or attributes, never as HTML.
// @ts-check
import { signupOptions as readOptions, signupBody as makeBody, rejection } from "./form-wasm.js";
import { whereConsented } from "./common.js";
import { newId, warn } from "./host.js";
import { el, loadStylesheet, submit, setup, field, phoneRow, showError } from "./form-kit.js";

const CALL = "renderSignup";
const CALLBACKS = ["onSubmit", "onPending", "onSuccess", "onError"];

/**
 * Renders the sign-up form into `target`; `load` (the facade's) fetches
 * the form's language's texts. Resolves to a handle with `destroy()`.
 * @param {any} target @param {any} options @param {string} [stylesheet] @param {(name: string) => Promise<any>} [load]
 */
export async function renderSignup(target, options, stylesheet, load) {
  const { o, text, id, callback } = await setup(CALL, target, options, CALLBACKS, readOptions, load);
  const t = (/** @type {string} */ key) => o.texts[key] || "";

  const form = el("form", { class: "consentry-phone consentry-signup", "data-state": "idle", lang: o.locale, novalidate: "", "aria-labelledby": id("title") });
  form.append(el("h2", { id: id("title"), class: "consentry-title" }, t("signup_title")));
  const message = (/** @type {string} */ suffix) => el("p", { id: id(suffix), class: "consentry-error", "aria-live": "polite" });
  const email = el("input", { id: id("email"), class: "consentry-input", type: "email", autocomplete: "email", inputmode: "email", "aria-describedby": id("email-error") });
  const emailError = message("email-error");
  const { row, select, input: phone } = phoneRow(o, id, false);
  const phoneError = message("phone-error");
  // Two boxes, each with its own disclosure.
  const consentBox = (/** @type {string} */ name, /** @type {string} */ label, /** @type {string} */ disclosure) => {
    const box = el("input", { id: id(name), class: "consentry-checkbox", type: "checkbox", "aria-describedby": id(`${name}-disclosure`) });
    const line = el("p", { class: "consentry-consent" });
    line.append(box, el("label", { for: id(name), class: "consentry-label" }, label));
    return [box, line, el("p", { id: id(`${name}-disclosure`), class: "consentry-disclosure" }, disclosure)];
  };
  const [emailBox, emailLine, emailDisclosure] = consentBox("email-box", t("email_box"), o.emailDisclosure);
  const [smsBox, smsLine, smsDisclosure] = consentBox("sms-box", t("sms_box"), o.smsDisclosure);
  const button = el("button", { type: "submit", class: "consentry-submit" }, t("signup_submit"));
  const status = el("p", { role: "status", "aria-live": "polite", class: "consentry-status" });
  form.append(field("consentry-field", id("email"), t("email"), email), emailError, row, phoneError, emailLine, emailDisclosure, smsLine, smsDisclosure, button, status);
  if (o.stylesheet && stylesheet) loadStylesheet(form, [stylesheet]);
  target.append(form);

  let key = "", destroyed = false;
  const setState = (/** @type {string} */ state, /** @type {string} */ text) => (form.setAttribute("data-state", state), (status.textContent = text));

  function send() {
    if (button.disabled) return;
    const sms = smsBox.checked;
    const r = JSON.parse(makeBody(text, JSON.stringify({
      email: email.value, phone: phone.value, country: select.value, emailBox: emailBox.checked, smsBox: sms,
      locale: o.locale, time: Date.now(), formId: o.formId, ...whereConsented(),
    })));
    showError(email, emailError, r.email ? t(r.email) : null);
    showError(phone, phoneError, r.phone && !r.body ? t(r.phone) : null);
    if (!r.body) return (r.email ? email : phone).focus();
    const k = (key = newId());
    button.disabled = true;
    setState("sending", t("sending"));
    callback("onSubmit", { email: email.value.trim(), phone: r.phone || "", email_box: emailBox.checked, sms_box: sms });
    submit({ key: k, url: o.submitUrl, body: r.body }, (d) => {
      if (destroyed || key !== k) return;
      if (d.delivered) {
        const pending = sms && o.doubleOptIn;
        setState(pending ? "pending" : "success", pending ? t("signup_pending").replace("{phone}", r.phone) : t("signup_success"));
        callback(pending ? "onPending" : "onSuccess", { email: email.value.trim(), phone: r.phone || "" });
      } else if (d.waiting) {
        setState("waiting", t(navigator.onLine ? "unreachable" : "queued"));
      } else if (d.rejected) {
        const [code, body] = d.rejected;
        button.disabled = false;
        if (rejection(code, body) == "misconfigured") {
          setState("error", t("unavailable"));
          warn(`the sign-up form's endpoint refused it: POST ${o.submitUrl} answered ${code}`, body);
        } else {
          setState("idle", "");
          showError(phone, phoneError, t("rejected_number"));
        }
        callback("onError", { status: code, response: body });
      }
    });
  }

  form.addEventListener("submit", (/** @type {Event} */ e) => (e.preventDefault(), send()));
  return {
    destroy() {
      destroyed = true;
      form.remove();
    },
  };
}
