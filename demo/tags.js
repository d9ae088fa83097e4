// Example tags, one per category, written the way Adobe tags ask: each waits
// for its category and runs once, then sets a cookie of its own.
(function () {
  var ran = (window.demoTagsRan = []);
  var optIn = window.adobe.optIn;
  ["aam", "adcloud", "aa", "campaign", "ecid", "livefyre", "target", "mediaaa", "analytics", "ads", "sms", "whatsapp"].forEach(
    function (category) {
      function tryRun() {
        if (ran.indexOf(category) < 0 && optIn.isApproved(category)) {
          ran.push(category);
          document.cookie = "demo_tag_" + category + "=1; path=/";
          window.dispatchEvent(new CustomEvent("demo:tag", { detail: category }));
        }
      }
      optIn.fetchPermissions(tryRun, true);
    },
  );
})();
