// The demo's controls: approve/deny at once or staged, live status. Staged
// choices are invisible to the API until complete(), so the page keeps its
// own note of them to show in the "Staged" column.
(function () {
  var c = window.consentry;
  var $ = function (id) { return document.getElementById(id); };
  var staging = function () { return $("stage").checked; };
  var staged = {};

  function pill(el, text, kind) {
    el.textContent = text;
    el.className = "pill " + (kind || text);
  }

  function choose(verb, cats) {
    c[verb](cats, staging());
    if (staging()) cats.forEach(function (cat) { staged[cat] = verb == "approve" ? "approve" : "deny"; });
    render();
  }

  function render() {
    pill($("status"), c.status);
    var r = c.consentRecord;
    $("record").textContent = r ? "consent id " + r.consentId + " · revision " + r.revision : "";
    var count = Object.keys(staged).length;
    $("complete").textContent = count ? "Commit " + count + " staged change" + (count == 1 ? "" : "s") : "Commit staged changes";
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
        var choice = document.createElement("td");
        choice.className = "choice";
        ["approve", "deny"].forEach(function (verb) {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "small";
          b.textContent = verb;
          b.id = verb + "-" + cat;
          b.setAttribute("aria-label", verb + " " + cat);
          b.addEventListener("click", function () { choose(verb, [cat]); });
          choice.appendChild(b);
        });
        // data-label names a cell where narrow screens stack the table.
        var cells = ["permission", "staged", "tag"].map(function (label) {
          var td = document.createElement("td");
          td.setAttribute("data-label", label);
          td.appendChild(document.createElement("span"));
          return td;
        });
        row.append(name, cells[0], cells[1], choice, cells[2]);
        body.appendChild(row);
      }
      var spans = row.querySelectorAll("td > span");
      pill(spans[0], p[cat] ? "approved" : "denied");
      if (staged[cat]) pill(spans[1], staged[cat] == "approve" ? "→ approve" : "→ deny", "staged");
      else { spans[1].textContent = ""; spans[1].className = ""; }
      var ran = window.demoTagsRan.indexOf(cat) >= 0;
      pill(spans[2], ran ? "ran" : "waiting");
    });
  }

  function log(text) {
    var li = document.createElement("li");
    li.textContent = text;
    $("log").appendChild(li);
  }

  var all = function () { return Object.keys(c.permissions); };
  $("approve-all").addEventListener("click", function () {
    c.approveAll(staging());
    if (staging()) all().forEach(function (cat) { staged[cat] = "approve"; });
    render();
  });
  $("deny-all").addEventListener("click", function () {
    c.denyAll(staging());
    if (staging()) all().forEach(function (cat) { staged[cat] = "deny"; });
    render();
  });
  $("complete").addEventListener("click", function () { c.complete(); render(); });
  window.addEventListener("consentry:complete", function (e) {
    staged = {};
    log("committed: " + JSON.stringify(e.detail.changes));
    render();
  });
  // Tags that ran before this script (the pre-approved ecid), then the rest.
  window.demoTagsRan.forEach(function (tag) { log("tag ran: " + tag); });
  window.addEventListener("demo:tag", function (e) { log("tag ran: " + e.detail); render(); });
  // Queued until Consentry has loaded; answered at once then, because the
  // configuration has pre-opt-in approvals.
  c.fetchPermissions(render);
})();
