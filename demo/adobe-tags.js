// Calls made the way VisitorAPI.js 5.x's ID service and an Analytics tag make
// them: no visitor id is requested while `ecid` is not approved, and the
// request starts as soon as it is.
(function () {
  var optIn = window.adobe.optIn;
  var events = (window.adobeEvents = []);
  function note(text) {
    events.push(text);
    var li = document.createElement("li");
    li.textContent = text;
    document.getElementById("log") && document.getElementById("log").appendChild(li);
  }

  // The ID service: subscribe, and unsubscribe with off() once it has an id.
  function idServiceHandler() {
    if (optIn.isApproved(optIn.Categories.ECID)) {
      optIn.off("complete", idServiceHandler);
      note("ecid: visitor id requested");
    }
  }
  optIn.fetchPermissions(idServiceHandler, true);

  // What the page shows: whether the ID service may use the visitor id now.
  function show() {
    var el = document.getElementById("ecid");
    if (!el) return;
    var approved = optIn.isApproved(optIn.Categories.ECID);
    var asked = events.indexOf("ecid: visitor id requested") >= 0;
    el.textContent = approved ? "approved: visitor id requested" : asked ? "denied: visitor id no longer used" : "waiting for consent";
    el.className = "pill " + (approved ? "approved" : asked ? "denied" : "pending");
  }
  optIn.fetchPermissions(show, true);

  // An Analytics tag: asks once per commit.
  optIn.on("complete", function () {
    note("complete: isComplete=" + optIn.isComplete + " aa=" + optIn.isApproved([optIn.Categories.ANALYTICS]));
  });
})();
