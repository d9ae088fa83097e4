// An analytics tag, activated by Consentry once `analytics` is approved.
document.cookie = "demo_analytics_id=" + Math.random().toString(36).slice(2) + "; path=/";
(window.demoTagsRan = window.demoTagsRan || []).push("analytics");
window.dispatchEvent(new CustomEvent("demo:tag", { detail: "analytics" }));
