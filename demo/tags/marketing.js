// An advertising tag, activated by Consentry once `marketing` is approved.
document.cookie = "demo_marketing_id=" + Math.random().toString(36).slice(2) + "; path=/";
(window.demoTagsRan = window.demoTagsRan || []).push("marketing");
window.dispatchEvent(new CustomEvent("demo:tag", { detail: "marketing" }));
