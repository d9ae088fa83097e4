// The demo's controls: approve/deny at once or staged, live status.
(function () {
  var c = window.consentry;
  var $ = function (id) { return document.getElementById(id); };
  var staged = function () { return $("stage").checked; };

  function render() {
    $("status").textContent = c.status;
    var r = c.consentRecord;
    $("record").textContent = r ? "(consent id " + r.consentId + ", revision " + r.revision + ")" : "";
    var body = $("categories");
    var p = c.permissions;
    Object.keys(p).forEach(function (cat) {
      var row = $("row-" + cat);
      if (!row) {
        row = document.createElement("tr");
        row.id = "row-" + cat;
        var name = document.createElement("th");
        name.scope = "row";
        name.textContent = cat;
        var state = document.createElement("td");
        var choice = document.createElement("td");
        ["approve", "deny"].forEach(function (verb) {
          var b = document.createElement("button");
          b.textContent = verb;
          b.id = verb + "-" + cat;
          b.addEventListener("click", function () { c[verb](cat, staged()); render(); });
          choice.appendChild(b);
        });
        var tag = document.createElement("td");
        row.append(name, state, choice, tag);
        body.appendChild(row);
      }
      row.children[1].textContent = p[cat] ? "approved" : "denied";
      row.children[3].textContent = window.demoTagsRan.indexOf(cat) >= 0 ? "ran" : "waiting";
    });
  }

  function log(text) {
    var li = document.createElement("li");
    li.textContent = text;
    $("log").appendChild(li);
  }

  $("approve-all").addEventListener("click", function () { c.approveAll(staged()); render(); });
  $("deny-all").addEventListener("click", function () { c.denyAll(staged()); render(); });
  $("complete").addEventListener("click", function () { c.complete(); render(); });
  window.addEventListener("consentry:complete", function (e) {
    log("complete: changed " + JSON.stringify(e.detail.changes));
    render();
  });
  window.addEventListener("demo:tag", function (e) { log("tag ran: " + e.detail); render(); });
  // Queued until Consentry has loaded; answered at once then, because the
  // configuration has pre-opt-in approvals.
  c.fetchPermissions(render);
})();
