// The phone verification form's shell (bundled into consentry-form.mjs with
// the capture form): number -> "Send code" -> the code (one-time-code
// autofill, WebOTP where the browser has it) -> verified, with a resend
// countdown. What the options mean, what each answer of the service means
// and what a typed code is are the wasm's (form/src/rules/verification.rs).
// Every text goes in with `textContent` or attributes, never as HTML.
// @ts-check
import { verifyOptions as readOptions, verifyAnswer as answerOf, number as readNumber } from "./form-wasm.js";
import { el, loadStylesheet, setup, field, phoneRow, showError } from "./form-kit.js";

const CALL = "renderPhoneVerification";
const CALLBACKS = ["onCodeSent", "onVerified", "onError"];

/**
 * Renders the verification form into `target`; `stylesheet` is the URL of
 * the default look; `load` (the facade's) fetches the form's language's
 * texts. Resolves to a handle with `destroy()`.
 * @param {any} target @param {any} options @param {string} [stylesheet] @param {(name: string) => Promise<any>} [load]
 */
export async function renderPhoneVerification(target, options, stylesheet, load) {
  const { o, id, callback } = await setup(CALL, target, options, CALLBACKS, readOptions, load);
  const t = (/** @type {string} */ key, /** @type {Record<string, string | number>} */ values = {}) =>
    Object.entries(values).reduce((s, [k, v]) => s.replace(`{${k}}`, String(v)), o.texts[key] || "");

  const form = el("form", { class: "consentry-phone consentry-verify", "data-state": "number", lang: o.locale, novalidate: "", "aria-labelledby": id("title") });
  const title = el("h2", { id: id("title"), class: "consentry-title" }, t(o.purpose == "login" ? "v_login_title" : "v_title"));
  const { row, select, input: phone } = phoneRow(o, id, true);
  const phoneError = el("p", { id: id("phone-error"), class: "consentry-error", "aria-live": "polite" });
  const sendButton = el("button", { type: "submit", class: "consentry-submit" }, t("send_code"));
  const numberStep = el("div", { class: "consentry-step" });
  numberStep.append(row, phoneError, sendButton);

  const sent = el("span", { class: "consentry-sent" });
  const change = el("button", { type: "button", class: "consentry-link" }, t("change"));
  const code = el("input", {
    id: id("code"), class: "consentry-input consentry-code", type: "text", inputmode: "numeric", autocomplete: "one-time-code",
    maxlength: "7", pattern: "[0-9 ]*", "aria-describedby": `${id("sent")} ${id("code-error")}`, required: "",
  });
  sent.id = id("sent");
  const codeError = el("p", { id: id("code-error"), class: "consentry-error", "aria-live": "polite" });
  const verifyButton = el("button", { type: "submit", class: "consentry-submit" }, t("verify"));
  const resend = el("button", { type: "button", class: "consentry-link consentry-resend" });
  const codeStep = el("div", { class: "consentry-step" });
  const sentLine = el("div", { class: "consentry-actions" });
  sentLine.append(sent, change);
  codeStep.append(sentLine, field("consentry-field", id("code"), t("code"), code), codeError, verifyButton, resend);
  codeStep.hidden = true;
  const status = el("p", { role: "status", "aria-live": "polite", class: "consentry-status" });
  form.append(title, numberStep, codeStep, status);
  if (o.stylesheet && stylesheet) loadStylesheet(form, [stylesheet]);
  target.append(form);

  let destroyed = false, busy = false, timer = 0;
  /** @type {string} */
  let e164 = "";
  /** @type {AbortController | null} */
  let otp = null;
  /** @param {string} state */
  const setState = (state) => form.setAttribute("data-state", state);

  // The resend button counts down, then offers a new code.
  /** @param {number} seconds */
  function countdown(seconds) {
    clearInterval(timer);
    const tick = () => {
      resend.disabled = seconds > 0;
      resend.textContent = seconds > 0 ? t("resend_in", { seconds }) : t("resend");
      if (seconds-- <= 0) clearInterval(timer);
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  /** POSTs `body` to `url`: `[status, text]`, or null when nothing answered. @param {string} url @param {object} body */
  async function post(url, body) {
    try {
      const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return /** @type {[number, string]} */ ([r.status, await r.text().catch(() => "")]);
    } catch (_) {
      return null;
    }
  }

  /** What went wrong, where it belongs. @param {any} a @param {[number, string] | null} r */
  function refused(a, r) {
    const message = !r ? t("v_unreachable") : a.step == "refused" ? t(a.key, { left: a.left, seconds: a.seconds, minutes: Math.ceil(a.seconds / 60) }) : t("v_unavailable");
    if (a.number) {
      showError(phone, phoneError, message);
      backToNumber();
    } else if (codeStep.hidden) {
      status.textContent = message;
    } else {
      showError(code, codeError, message);
      if (a.key == "resend_too_soon") countdown(a.seconds);
      code.focus();
    }
    let response = r && r[1];
    try {
      response = r && JSON.parse(r[1]);
    } catch (_) {}
    callback("onError", { phone: e164, status: r ? r[0] : 0, error: a.key || "unavailable", response });
  }

  async function sendCode() {
    if (busy) return;
    const nr = JSON.parse(readNumber(phone.value, select.value, JSON.stringify(o.countries.map((/** @type {string[]} */ c) => c[0]))));
    showError(phone, phoneError, nr.e164 ? null : t(nr.code));
    if (!nr.e164) return phone.focus();
    busy = sendButton.disabled = resend.disabled = true;
    status.textContent = t("sending");
    const r = await post(o.startUrl, { phone: nr.e164, purpose: o.purpose, locale: o.locale });
    busy = sendButton.disabled = false;
    status.textContent = "";
    if (destroyed) return;
    const a = r ? JSON.parse(answerOf(r[0], r[1])) : { step: "unavailable" };
    if (a.step != "code") return refused(a, r);
    e164 = nr.e164;
    sent.textContent = t("code_sent", { phone: e164 });
    numberStep.hidden = true;
    codeStep.hidden = false;
    setState("code");
    showError(code, codeError, null);
    code.value = "";
    code.focus();
    countdown(a.resend);
    listenForCode();
    callback("onCodeSent", { phone: e164, purpose: o.purpose });
  }

  // WebOTP: the browser offers the code from the text (the service ends it
  // with "@host #code"), and the form checks it at once.
  function listenForCode() {
    otp?.abort();
    if (!("OTPCredential" in window)) return;
    otp = new AbortController();
    /** @type {any} */ (navigator.credentials)
      .get({ otp: { transport: ["sms"] }, signal: otp.signal })
      .then((/** @type {any} */ c) => {
        if (c && c.code && !destroyed && !codeStep.hidden) (code.value = c.code), check();
      })
      .catch(() => {});
  }

  async function check() {
    if (busy) return;
    const typed = JSON.parse(answerOf(0, code.value));
    showError(code, codeError, typed.code ? null : t("code_format"));
    if (!typed.code) return code.focus();
    busy = verifyButton.disabled = true;
    status.textContent = t("sending");
    const r = await post(o.checkUrl, { phone: e164, code: typed.code });
    busy = verifyButton.disabled = false;
    status.textContent = "";
    if (destroyed) return;
    const a = r ? JSON.parse(answerOf(r[0], r[1])) : { step: "unavailable" };
    if (a.step != "verified") return refused(a, r);
    otp?.abort();
    clearInterval(timer);
    codeStep.hidden = true;
    setState("success");
    status.textContent = t("verified");
    callback("onVerified", { phone: e164, purpose: o.purpose, token: a.token });
  }

  function backToNumber() {
    otp?.abort();
    clearInterval(timer);
    codeStep.hidden = true;
    numberStep.hidden = false;
    setState("number");
    phone.focus();
  }

  form.addEventListener("submit", (/** @type {Event} */ e) => (e.preventDefault(), codeStep.hidden ? sendCode() : check()));
  resend.addEventListener("click", () => (showError(code, codeError, null), sendCode()));
  change.addEventListener("click", backToNumber);
  phone.addEventListener("input", () => phone.getAttribute("aria-invalid") == "true" && showError(phone, phoneError, null));
  code.addEventListener("input", () => code.getAttribute("aria-invalid") == "true" && showError(code, codeError, null));
  return {
    destroy() {
      destroyed = true;
      otp?.abort();
      clearInterval(timer);
      form.remove();
    },
  };
}
