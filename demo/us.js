// The US page: shows what __gpp says, live. Everything here is what any ad
// tag on the page could read.
(function () {
  var q = new URLSearchParams(location.search);
  document.getElementById("region").value = q.get("region") || "US-CA";
  document.getElementById("gpc").checked = q.get("gpc") == "1";
  document.getElementById("forget").addEventListener("click", function () {
    document.cookie = "adobeujs-optin=; max-age=0; path=/";
    document.cookie = "consentry=; max-age=0; path=/";
    location.reload();
  });
  var events = document.getElementById("events");
  function show(ping) {
    document.getElementById("signal").textContent = ping.signalStatus;
    document.getElementById("applicable").textContent = ping.applicableSections.join(", ");
    document.getElementById("string").textContent = ping.gppString || "(none yet)";
    var id = ping.applicableSections[0];
    var index = ping.sectionList.indexOf(id);
    var name = index < 0 ? ping.supportedAPIs[0] && ping.supportedAPIs[0].split(":")[1] : ping.supportedAPIs[index].split(":")[1];
    var section = ping.parsedSections[name] || {};
    document.getElementById("section-name").textContent = name ? name + (index < 0 ? " (not applicable here)" : "") : "Section";
    var body = document.getElementById("fields");
    body.textContent = "";
    Object.keys(section).forEach(function (k) {
      var v = section[k];
      if (!/OptOut$|Notice$|Gpc$|^Mspa/.test(k)) return;
      var row = body.insertRow();
      row.insertCell().textContent = k;
      var meaning = typeof v == "boolean" ? (v ? "on" : "off") : /Notice$/.test(k) ? ["n/a", "given", "not given"][v] : /^Mspa/.test(k) ? ["n/a", "yes", "no"][v] : ["n/a", "opted out", "did not opt out"][v];
      row.insertCell().textContent = meaning;
    });
  }
  __gpp("addEventListener", function (e) {
    var li = document.createElement("li");
    li.textContent = e.eventName + (typeof e.data == "string" ? ": " + e.data : "");
    events.appendChild(li);
    while (events.children.length > 12) events.removeChild(events.firstChild);
    show(e.pingData);
  });
})();
