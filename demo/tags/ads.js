// An external advertising tag, activated by Consentry once `aam` is approved
// (by the TCF CMP's choice: vendor 565 with purposes 1 and 10).
document.cookie = "demo_aam_id=" + Math.random().toString(36).slice(2) + "; path=/";
window.demoTag("aam: advertising tag loaded from tags/ads.js, set demo_aam_id");
