// renderPhoneCapture: the phone form, inline in an element or as an
// in-app modal dialog (`role="dialog"`, `aria-modal`, focus kept inside,
// Escape closes), delivered through the outbox. What the options mean,
// what a typed number is, what the body says and what a refusal means are
// the wasm's (form/src/wasm.rs).
// @ts-check
import { options as readOptions, number as readNumber, body as makeBody, rejection } from "./form-wasm.js";
import { whereConsented } from "./common.js";
import { warn, fail, newId } from "./host.js";
import { submit, flush, forget, setup, field, phoneRow, showError, el, loadStylesheet } from "./form-kit.js";

/** @typedef {import("./form-kit.js").Delivery} Delivery */

const CALL = "renderPhoneCapture";
const CALLBACKS = ["onSubmit", "onPending", "onSuccess", "onError", "onClose"];

/**
 * Renders the phone form into `target` with `options` (a copy the facade
 * made; functions in it are callbacks); `stylesheet` is the URL of the
 * default look; `load` (the facade's) fetches the form's language's texts,
 * and the text-to-join module for a `textToJoin` block, which is checked
 * and drawn before the form shows. Resolves to a handle with `destroy()`.
 * @param {unknown} target @param {any} options @param {string | undefined} stylesheet @param {(name: string) => Promise<any>} load
 */
export async function renderPhoneCapture(/** @type {any} */ target, options, stylesheet, load) {
  const { o, id, callback } = await setup(CALL, target, options, CALLBACKS, readOptions, load);
  // "Text JOIN to 12345" under the form, when asked for: its module
  // checks the block, so a wrong one refuses the form (one that cannot be
  // downloaded leaves the form without the block).
  const joinHost = el("div", { class: "consentry-join-host" });
  // (The block has text-to-join's stylesheet.)
  const join = o.textToJoin && (await load("consentry-form-join").catch((e) => warn("the text-to-join block could not be shown", e)));
  if (join) await join.m.renderTextToJoin(joinHost, o.textToJoin, join.css, load, true);
  for (const w of o.warnings) warn(w);
  const t = (/** @type {string} */ key) => o.texts[key] || "";

  const form = el("form", { class: "consentry-phone", "data-state": "idle", lang: o.locale, novalidate: "", "aria-labelledby": id("title") });
  form.append(el("p", { class: "consentry-programme" }, o.programme), el("h2", { id: id("title"), class: "consentry-title" }, t("title")));
  const { row, select, input } = phoneRow(o, id, true);
  const message = (/** @type {string} */ suffix) => el("p", { id: id(suffix), class: "consentry-error", "aria-live": "polite" });
  const phoneError = message("phone-error");
  const checkbox = el("input", { id: id("consent"), class: "consentry-checkbox", type: "checkbox", "aria-describedby": `${id("disclosure")} ${id("consent-error")}`, required: "" });
  const consentError = message("consent-error");
  const button = (/** @type {string} */ cls, /** @type {string} */ type, /** @type {string} */ text, hidden = false) => {
    const b = el("button", { type, class: cls }, text);
    b.hidden = hidden;
    return b;
  };
  const submitButton = button("consentry-submit", "submit", t("submit"));
  const status = el("p", { role: "status", "aria-live": "polite", class: "consentry-status" });
  const retry = button("consentry-link", "button", t("retry"), true);
  const change = button("consentry-link", "button", t("change"), true);
  const consent = el("p", { class: "consentry-consent" });
  consent.append(checkbox, el("label", { for: id("consent"), class: "consentry-label" }, t("consent")));
  const actions = el("p", { class: "consentry-actions" });
  actions.append(retry, change);
  form.append(row, phoneError, consent, el("p", { id: id("disclosure"), class: "consentry-disclosure" }, o.disclosure), consentError, submitButton, status, actions);

  // In a modal: its module (consentry-form-modal, with its stylesheet)
  // puts the form and the block in a dialog. (One that cannot be
  // downloaded refuses the form.)
  let root = form, restore = () => {};
  const sheets = [/** @type {string} */ (stylesheet)];
  if (o.modal) {
    const modal = await load("consentry-form-modal").catch((e) => {
      throw fail(CALL, `the modal could not be downloaded (${e && e.message})`);
    });
    ({ root, restore } = modal.m.dialog(join ? [form, joinHost] : [form], id("title"), t("close"), () => destroy(true)));
    sheets.push(modal.css);
  }
  const styled = o.stylesheet && stylesheet && loadStylesheet(root, sheets);
  target.append(root);
  if (join && !o.modal) target.append(joinHost);

  /** @type {string | null} the submission the form shows */
  let key = null;
  let destroyed = false;
  // data-state (idle, sending, waiting, pending, success, error) drives the
  // stylesheet; the message goes to the status line.
  const setState = (/** @type {string} */ state, /** @type {string} */ text) => {
    form.setAttribute("data-state", state);
    status.textContent = text;
  };
  const allowed = JSON.stringify(o.countries.map((/** @type {string[]} */ c) => c[0]));
  const number = () => {
    const r = JSON.parse(readNumber(input.value, select.value, allowed));
    return r.e164 ? { e164: r.e164 } : { error: t(r.code) };
  };
  const label = (/** @type {string} */ iso) => (o.countries.find((/** @type {string[]} */ c) => c[0] == iso) || [iso, iso])[1];

  function send() {
    if (submitButton.disabled) return;
    const n = number();
    showError(input, phoneError, n.error ?? null);
    const agreed = checkbox.checked;
    showError(checkbox, consentError, agreed ? null : t("consent_required"));
    if (!n.e164) return input.focus();
    if (!agreed) return checkbox.focus();
    const e164 = n.e164, country = select.value;
    const body = makeBody(JSON.stringify({
      subscriptionGroupId: o.subscriptionGroupId, phone: e164, externalId: o.externalId, externalIdToken: o.externalIdToken,
      doubleOptIn: o.doubleOptIn, disclosure: o.disclosure, locale: o.locale, time: Date.now(), formId: o.formId,
      // The page, and the consent id that links the opt-in to this
      // browser's cookie choices in the ledger.
      ...whereConsented(),
    }));
    const k = (key = newId());
    submitButton.disabled = true;
    retry.hidden = change.hidden = true;
    setState("sending", t("sending"));
    callback("onSubmit", { phone: e164, subscriptionGroupId: o.subscriptionGroupId });
    // Inside a Braze HTML in-app message, the Braze Web SDK subscribes the
    // number (consentry-form-bridge, loaded only there).
    if (o.bridge) {
      return load("consentry-form-bridge").then(
        ({ m }) => m.bridged(o, e164, JSON.parse(body).consent, setState, t, callback),
        (e) => (setState("error", t("unavailable")), callback("onError", { phone: e164, status: 0, response: String(e) })),
      );
    }
    submit({ key: k, url: o.submitUrl, body }, (d) => delivered(d, e164, country, k));
  }

  /** @param {Delivery} d @param {string} e164 @param {string} country @param {string} k */
  function delivered(d, e164, country, k) {
    // Destroyed, or the visitor moved on to another number.
    if (destroyed || key !== k) return;
    retry.hidden = true;
    if (d.delivered && o.doubleOptIn) {
      setState("pending", t("pending").replace("{phone}", e164));
      change.hidden = false;
      callback("onPending", { phone: e164 });
    } else if (d.delivered) {
      setState("success", t("success"));
      callback("onSuccess", { phone: e164 });
    } else if (d.waiting) {
      // The outbox keeps it and retries; say which way it failed.
      setState("waiting", t(navigator.onLine ? "unreachable" : "queued"));
      retry.hidden = !navigator.onLine;
    } else if (d.rejected) {
      const [code, text] = d.rejected;
      const why = rejection(code, text);
      if (why == "misconfigured") {
        setState("error", t("unavailable"));
        warn(`consentry: the phone form's endpoint refused the sign-up: POST ${o.submitUrl} answered ${code}; check the form's endpoint and subscriptionGroupId options and your backend`, text);
      } else {
        setState("idle", "");
        showError(input, phoneError, why == "country" ? t("rejected_country").replace("{country}", label(country)) : t("rejected_number"));
        submitButton.disabled = false;
        input.focus();
      }
      let response = text;
      try {
        response = JSON.parse(text);
      } catch (_) {}
      callback("onError", { phone: e164, status: code, response });
    }
  }

  function destroy(byVisitor = false) {
    if (destroyed) return;
    destroyed = true;
    // A submission already made is still delivered.
    if (key) forget(key);
    root.remove();
    joinHost.remove();
    restore();
    if (byVisitor) callback("onClose");
  }

  form.addEventListener("submit", (/** @type {Event} */ e) => (e.preventDefault(), send()));
  retry.addEventListener("click", flush);
  // After "pending": the visitor mistyped the number and sends it again.
  change.addEventListener("click", () => {
    key = null;
    setState("idle", "");
    change.hidden = true;
    submitButton.disabled = false;
    input.focus();
    input.select();
  });
  // A field's error goes as soon as the field is fixed.
  const recheck = () => input.getAttribute("aria-invalid") == "true" && number().e164 && showError(input, phoneError, null);
  input.addEventListener("input", recheck);
  select.addEventListener("change", recheck);
  checkbox.addEventListener("change", () => checkbox.checked && showError(checkbox, consentError, null));
  // (Once the dialog shows: a hidden control takes no focus.)
  if (o.modal) Promise.resolve(styled).then(() => select.focus());
  return { destroy: () => destroy(false) };
}
