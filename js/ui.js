// @ts-check
// The banner and the preference centre (dist/consentry-ui.mjs with
// consentry-ui.css and the page's language's texts, consentry-ui-<lang>.mjs),
// fetched only when the gate says the visitor must choose or the page opens
// the preferences. It renders and carries out: the policy, whether to ask,
// the categories and what each button commits are the gate's
// (src/consent/ui.rs). No inline style and no eval: it runs under
// `style-src 'self'` and a strict `script-src`.
import { warn, sha256 } from "./common.js";

export const LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "ko", "ja"];
/** @type {HTMLElement | null} */
let current = null;
/** @type {Element | null} */
let before = null;
/** @type {HTMLElement} */
let status;
/** @type {Promise<unknown> | undefined} */
let styled;

/**
 * An element with attributes and children (no inline style, no HTML parsing).
 * @param {string} tag @param {Record<string, string | false | undefined>} [attrs] @param {(Node | string)[]} kids
 */
function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const k in attrs) if (attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, /** @type {string} */ (attrs[k]));
  e.append(...kids);
  return e;
}

// The stylesheet, once, before anything shows (no flash of unstyled banner).
/** @param {string} href */
function style(href) {
  return (styled = styled || new Promise((resolve) => {
    const link = h("link", { rel: "stylesheet", href });
    link.addEventListener("load", resolve);
    link.addEventListener("error", () => (warn(`the banner's stylesheet ${href} could not be loaded`), resolve(0)));
    document.head.append(link);
  }));
}

// The page's language (or ui.language) when Consentry has it, else English.
/** @param {unknown} configured */
function language(configured) {
  const page = (typeof configured == "string" ? configured : document.documentElement.lang || "").slice(0, 2).toLowerCase();
  return LANGUAGES.includes(page) ? page : "en";
}

// Tells the page (and GPP's cmpDisplayStatus) whether the banner or the
// preference centre is on screen.
/** @param {"visible" | "hidden"} state */
const display = (state) => dispatchEvent(new CustomEvent("consentry:display", { detail: state }));

/** Closes what is open, focus back where it was. */
function close() {
  const open = current;
  current = null;
  if (!open) return;
  if (open instanceof HTMLDialogElement && open.open) open.close();
  open.remove();
  if (before instanceof HTMLElement && before.isConnected) before.focus();
  display("hidden");
}

/**
 * Shows the banner (`centre` false) or the preference centre.
 * @param {any} view the facade's: config, ui (the gate's answer), state, choose
 * @param {boolean} centre @param {string} css @param {(name: string) => Promise<any>} load
 */
export async function open(view, centre, css, load) {
  const cfg = view.config.ui || {};
  const lang = language(cfg.language);
  const [{ m }] = await Promise.all([load("consentry-ui-" + lang), style(css)]);
  /** @type {Record<string, string>} */
  const t = { ...m.default, ...(cfg.texts && cfg.texts[lang]) };
  if (!status) {
    // Announces "saved" to screen readers; kept in the page so it is heard.
    status = h("div", { class: "consentry-ui-status", role: "status" });
    document.body.append(status);
  }
  const { policy } = view.ui;
  const layout = centre ? "preferences" : cfg.layout || "bar";
  const modal = centre || layout == "modal";
  const optOut = policy == "opt-out";
  if (current) {
    if (!centre) return;
    close();
  } else before = document.activeElement;
  const root = h(modal ? "dialog" : "section", {
    class: "consentry-ui consentry-ui--" + layout,
    "data-theme": cfg.theme || "auto",
    lang,
    dir: document.documentElement.dir || "ltr",
    "aria-labelledby": "consentry-ui-title",
    "aria-describedby": "consentry-ui-text",
    "aria-modal": modal && "true",
    tabindex: "-1",
  });
  const title = centre ? (optOut ? t.optOutTitle : t.preferencesTitle) : t.title;
  const text = centre ? (optOut ? t.optOutDescription : t.preferencesDescription) : t.description;
  const policyLink = cfg.privacyPolicy ? [" ", h("a", { href: cfg.privacyPolicy }, t.privacyPolicy)] : [];
  root.append(h("h2", { id: "consentry-ui-title" }, title), h("p", { id: "consentry-ui-text" }, text, ...policyLink));

  /** @type {HTMLInputElement[]} */
  const switches = [];
  if (centre) {
    root.append(h("button", { class: "consentry-ui-close", type: "button", "aria-label": t.close, "data-b": "close" }, "×"));
    // Never ticked in advance where opt-in applies and nothing was chosen;
    // otherwise what is in force.
    const { permissions, status: st } = view.state;
    const chosen = st == "complete" || policy != "opt-in";
    const list = h("ul", { class: "consentry-ui-categories" });
    for (const name of view.ui.shown) {
      const locked = view.ui.necessary.includes(name);
      const id = "consentry-ui-" + name;
      const input = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", role: "switch", id, name, "aria-describedby": id + "-text" }));
      input.checked = locked || (chosen && permissions[name] === true);
      input.disabled = locked;
      switches.push(input);
      const details = [];
      for (const [label, items] of [[t.services, cfg.services && cfg.services[name]], [t.cookies, view.config.cookies && view.config.cookies[name]]]) {
        if (items && items.length) details.push(h("details", {}, h("summary", {}, label), h("ul", {}, ...items.map((/** @type {string} */ s) => h("li", {}, s)))));
      }
      list.append(
        h(
          "li",
          {},
          h("div", { class: "consentry-ui-row" }, h("label", { for: id }, t[name + ".title"] || name), locked ? h("span", { class: "consentry-ui-locked" }, t.alwaysOn) : "", input),
          h("p", { id: id + "-text" }, t[name + ".description"] || ""),
          ...details,
        ),
      );
    }
    root.append(list);
  }
  /** @type {[string, string, string][]} [button, label, class] */
  const buttons = centre
    ? optOut
      ? [["reject", t.doNotSell, ""], ["save", t.save, ""]]
      : [["reject", t.rejectAll, ""], ["accept", t.acceptAll, ""], ["save", t.save, " consentry-ui-secondary"]]
    : policy == "notice"
      ? [["customise", t.customise, " consentry-ui-secondary"], ["ok", t.ok, ""]]
      : [["customise", t.customise, " consentry-ui-secondary"], ["reject", t.rejectAll, ""], ["accept", t.acceptAll, ""]];
  root.append(h("div", { class: "consentry-ui-actions" }, ...buttons.map(([b, label, extra]) => h("button", { type: "button", class: "consentry-ui-button" + extra, "data-b": b }, label))));

  root.addEventListener("click", (e) => {
    const b = /** @type {any} */ (e.target).closest("[data-b]");
    const button = b && b.getAttribute("data-b");
    if (!button) return;
    if (button == "customise") return void open(view, true, css, load).catch((e) => warn("", e));
    if (button == "close") return leave();
    // What the visitor saw, for the receipt: hashed from the page as shown.
    const proof = sha256(root.textContent || "").then((texts_sha256) => ({ language: lang, layout, texts_sha256, button }));
    const r = view.choose(button, Object.fromEntries(switches.map((s) => [s.name, s.checked])), proof);
    if (r.error) return;
    close();
    status.textContent = t.saved;
    setTimeout(() => (status.textContent = ""), 5000);
  });
  // Escape (or the close button) leaves the preference centre without
  // deciding: back to the banner while the visitor still has to choose.
  const leave = () => {
    close();
    if (view.ui.ask) open(view, false, css, load).catch((e) => warn("", e));
  };
  // Tab and Shift+Tab go round inside a modal (the browser's own would
  // step out to its address bar).
  root.addEventListener("keydown", (e) => {
    if (e.key != "Tab" || !modal) return;
    const all = root.querySelectorAll("a, button, input:not(:disabled), summary");
    const [first, last] = [all[0], all[all.length - 1]];
    const at = document.activeElement;
    const wrap = e.shiftKey ? (at == first || at == root) && last : at == last && first;
    if (wrap) e.preventDefault(), /** @type {HTMLElement} */ (wrap).focus();
  });
  root.addEventListener("cancel", (e) => {
    e.preventDefault();
    if (centre) leave();
  });
  current = root;
  document.body.append(root);
  if (root instanceof HTMLDialogElement) root.showModal();
  root.focus();
  display("visible");
}
