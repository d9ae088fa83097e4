// The capture form as an in-app modal (`mode: "modal"`), a module of its own
// that only such a form loads, with its stylesheet: a dimmed page and a
// card (`role="dialog"`, `aria-modal`, a bottom sheet on phones), focus
// kept inside, Escape and the close button close it, and focus goes back
// where it was.
// @ts-check
import { el } from "./form-kit.js";

/**
 * A dialog holding `content` (the form, and text-to-join's block),
 * labelled by the element `labelledBy`, whose close button (labelled
 * `closeLabel`) and Escape call `close`. Returns the backdrop to put in the
 * page, and `restore`, which gives focus back to where it was.
 * @param {HTMLElement[]} content @param {string} labelledBy @param {string} closeLabel @param {() => void} close
 */
export function dialog(content, labelledBy, closeLabel, close) {
  const previousFocus = document.activeElement;
  const root = el("div", { class: "consentry-backdrop" });
  const card = el("div", { role: "dialog", "aria-modal": "true", "aria-labelledby": labelledBy, class: "consentry-dialog" });
  const button = el("button", { type: "button", class: "consentry-close", "aria-label": closeLabel }, "×");
  card.append(button, ...content);
  root.append(card);
  root.addEventListener("keydown", (/** @type {KeyboardEvent} */ e) => {
    if (e.key == "Escape") return e.preventDefault(), close();
    if (e.key != "Tab") return;
    // Keep focus inside the dialog: wrap from the last control to the first.
    const list = root.querySelectorAll("button:not([hidden]):not([disabled]), input, select");
    const [first, last] = [list[0], list[list.length - 1]];
    const wrap = e.shiftKey && document.activeElement == first ? last : !e.shiftKey && document.activeElement == last ? first : null;
    if (wrap) e.preventDefault(), wrap.focus();
  });
  button.addEventListener("click", close);
  return { root, restore: () => previousFocus instanceof HTMLElement && previousFocus.focus() };
}
