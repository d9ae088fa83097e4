// Carries out what the gate decides the permissions in force mean for the
// page, at start and at every commit (before any listener hears of it):
// Google Consent Mode's and Microsoft UET's updates, the GPP string (by the
// GPP module), the deletion of cookies of categories not approved, and
// gated tags. The wasm decides every verdict
// (its INTEGRATIONS and TAG operations); this only touches the page.
//
// Tags: `<script type="text/plain" data-consent="aa">` (inline, or external
// with `data-src`) and `iframe`, `img` or `link` with `data-consent` and
// `data-src` come alive when their expression holds, in document order; an
// external script loads before the next tag runs, so order holds. Each tag
// runs at most once: it is marked `data-consentry` when taken.
// @ts-check

/**
 * The gate's verdicts (gate/src/lib.rs's TAG and INTEGRATIONS, through the
 * facade): a tag's expression, and what the full build's keys ask of the page.
 * @param {(expr: string) => boolean | string} tag
 * @param {(cookie: string, host: string, path: string, secure: boolean) => { consent?: Record<string, string>, uet?: Record<string, string>, cookies?: string[] }} effectsOf
 * @param {() => void} gpp has the GPP module encode the choice again
 */
export function integrations(tag, effectsOf, gpp) {
  /** @type {Element[]} */
  const queue = [];
  let loading = false;

  function next() {
    loading = false;
    pump();
  }

  // Runs queued tags until one is an external script still loading. An
  // inline script may call the API and so come back here: the queue is
  // shared, and each tag is taken once.
  function pump() {
    while (!loading && queue.length) {
      const el = /** @type {Element} */ (queue.shift());
      const src = el.getAttribute("data-src");
      if (el.tagName == "SCRIPT") run(el, src);
      else if (src != null) el.setAttribute(el.tagName == "LINK" ? "href" : "src", src);
    }
  }

  // Replaces the inert script by a live copy: the same attributes, the
  // `data-type` (or none) as type, `data-src` as src.
  /** @param {Element} el @param {string | null} src */
  function run(el, src) {
    if (!el.parentNode) return; // it left the document meanwhile
    const script = document.createElement("script");
    for (const name of el.getAttributeNames()) {
      if (name != "type" && name != "data-src" && name != "data-type") script.setAttribute(name, el.getAttribute(name) || "");
    }
    const type = el.getAttribute("data-type");
    if (type != null) script.setAttribute("type", type);
    if (src != null) {
      loading = true;
      script.addEventListener("load", next);
      script.addEventListener("error", next);
      script.setAttribute("src", src);
    } else {
      script.textContent = el.textContent;
    }
    el.replaceWith(script);
  }

  // Takes every untaken tag whose expression holds, in document order.
  function activate() {
    for (const el of document.querySelectorAll("[data-consent]:not([data-consentry])")) {
      const verdict = tag(el.getAttribute("data-consent") || "");
      if (verdict === true) {
        el.setAttribute("data-consentry", "taken");
        queue.push(el);
      } else if (typeof verdict == "string") {
        console.warn(verdict);
        el.setAttribute("data-consentry", "invalid");
      }
    }
    pump();
  }

  // What the full build's keys ask of the page: Consent Mode's and UET's
  // updates, the GPP string, the cookies to delete. The plain build has
  // none of those keys (and its gate no INTEGRATIONS): only its tags.
  function effects() {
    if (FULL) {
      // A page may block cookies (they then throw): there is nothing to delete.
      /** @param {string} [set] */
      const cookie = (set) => {
        try {
          return set ? (document.cookie = set) : document.cookie;
        } catch (e) {
          return "";
        }
      };
      const { consent, uet, cookies = [] } = effectsOf(cookie(), location.hostname, location.pathname, location.protocol == "https:");
      const gtag = /** @type {any} */ (window).gtag;
      if (consent) {
        if (typeof gtag != "function") {
          console.warn("consentry: consentMode is configured but window.gtag is missing; Google's tags get no update");
        } else {
          try {
            gtag("consent", "update", consent);
          } catch (e) {
            console.error("consentry: gtag('consent', 'update') threw", e);
          }
        }
      }
      // Microsoft UET: before or after its tag loads, uetq takes the update.
      if (uet) ((/** @type {any} */ (window).uetq = /** @type {any} */ (window).uetq || [])).push("consent", "update", uet);
      gpp();
      for (const c of cookies) cookie(c);
    }
    activate();
  }

  // Watches the document for tags added later.
  function observe() {
    new MutationObserver(activate).observe(document.documentElement, { childList: true, subtree: true });
  }

  return { effects, observe };
}
