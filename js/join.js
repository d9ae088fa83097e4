// Text-to-join's shell (consentry-form-join.mjs, also loaded by a capture
// form with a `textToJoin` block): "Text JOIN to
// 12345" as a link on phones and a QR code on computers, or WhatsApp's
// click-to-chat, with the disclosure beside it. The link's form per
// platform, the texts and the QR code's modules are the wasm's
// (form/src/rules/join.rs); this draws them.
// @ts-check
import { join as readJoin } from "./form-wasm.js";
import { el, loadStylesheet, setup } from "./form-kit.js";

const CALL = "renderTextToJoin";
const SVG = "http://www.w3.org/2000/svg";

// Where the link opens: iOS and Android take different `sms:` forms; a
// computer gets the QR code.
function platform() {
  const ua = navigator.userAgent;
  const touchMac = /Macintosh/.test(ua) && navigator.maxTouchPoints > 1;
  return /iPhone|iPad|iPod/.test(ua) || touchMac ? "ios" : /Android/.test(ua) ? "android" : "desktop";
}

/**
 * Renders the text-to-join block into `target`; `load` (the facade's)
 * fetches the form's language's texts, and the QR module on computers;
 * `inForm`: the block of a capture form (`renderPhoneCapture`'s
 * `textToJoin`, which an error names). Resolves to a handle with `destroy()`.
 * @param {any} target @param {any} options @param {string} [stylesheet] @param {(name: string) => Promise<any>} [load] @param {boolean} [inForm]
 */
export async function renderTextToJoin(target, options, stylesheet, load, inForm = false) {
  const where = platform();
  const { o, id } = await setup(inForm ? "renderPhoneCapture" : CALL, target, options, [], (text, table) => readJoin(text, where, table, inForm), load);
  const root = el("section", { class: "consentry-phone consentry-join", lang: o.locale, "aria-labelledby": id("title") });
  root.append(el("p", { class: "consentry-programme" }, o.programme), el("h2", { id: id("title"), class: "consentry-title" }, o.title));
  const link = el("a", { class: "consentry-submit consentry-join-link", href: o.link }, o.button);
  // On a computer: the QR code, from the QR module, drawn as one path (its
  // quiet zone of 4 modules is part of the view box).
  const code = where == "desktop" && load ? String((await load("consentry-qr")).m.qr_svg(o.qrText)) : "";
  const space = code.indexOf(" ");
  if (space > 0) {
    const svg = document.createElementNS(SVG, "svg");
    const n = Number(code.slice(0, space)) + 8;
    for (const [k, v] of Object.entries({ viewBox: `-4 -4 ${n} ${n}`, class: "consentry-qr", role: "img", "aria-label": o.scan, "shape-rendering": "crispEdges" })) svg.setAttribute(k, String(v));
    const back = document.createElementNS(SVG, "rect");
    for (const [k, v] of Object.entries({ x: -4, y: -4, width: n, height: n, fill: "#fff" })) back.setAttribute(k, String(v));
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", code.slice(space + 1));
    path.setAttribute("fill", "#000");
    svg.append(back, path);
    const figure = el("figure", { class: "consentry-qr-figure" });
    figure.append(svg, el("figcaption", { class: "consentry-label" }, o.scan));
    root.append(figure);
    link.className = "consentry-link consentry-join-link";
  }
  root.append(link, el("p", { class: "consentry-disclosure" }, o.disclosure));
  if (o.stylesheet && stylesheet) loadStylesheet(root, [stylesheet]);
  target.append(root);
  return { destroy: () => root.remove() };
}
