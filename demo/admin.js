// The sandbox's admin side: compose a message to members (counter and
// segments, sender, schedule), the members with their states, the quota
// with its use by kind and "buy tickets", and every message's recipients.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var GROUP = "acme-sms";
  var maxText = 79;
  var members = [];

  function getJson(url) {
    return fetch(url).then(function (r) { return r.json(); });
  }

  function send(method, url, body) {
    return fetch(url, { method: method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (v) { return { status: r.status, body: v }; }); });
  }

  function cell(row, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (typeof text === "string") td.textContent = text; else td.appendChild(text);
    row.appendChild(td);
    return td;
  }

  function pill(text) {
    var span = document.createElement("span");
    span.className = "pill " + text;
    span.textContent = text;
    return span;
  }

  function quota() {
    return getJson("/sandbox/quota").then(function (q) {
      $("remaining").textContent = q.remaining.toLocaleString("en-US");
      $("total").textContent = q.total.toLocaleString("en-US");
      $("warning").textContent = q.warning || "";
      ["verification", "workflow", "members"].forEach(function (k) { $("used-" + k).textContent = q.used[k]; });
      var list = $("purchases");
      list.textContent = "";
      q.tickets.forEach(function (t) {
        var li = document.createElement("li");
        li.textContent = t.count + " ticket" + (t.count === 1 ? "" : "s") + " (" + t.messages.toLocaleString("en-US") + " messages), " +
          (t.source === "configuration" ? "from the configuration" : "bought " + new Date(t.time).toLocaleString());
        list.appendChild(li);
      });
    });
  }

  function memberList() {
    return getJson("/sandbox/members?subscription_group_id=" + GROUP).then(function (m) {
      maxText = m.max_text || maxText;
      $("text").maxLength = maxText;
      var sender = $("sender");
      if (!sender.options.length) {
        m.senders.forEach(function (s) {
          var o = document.createElement("option");
          o.value = s.number;
          o.textContent = s.name + " (" + s.number + ")";
          sender.appendChild(o);
        });
      }
      var chosen = {};
      document.querySelectorAll("#members input:checked").forEach(function (c) { chosen[c.value] = true; });
      members = m.members;
      var body = $("members");
      body.textContent = "";
      members.forEach(function (x, i) {
        var row = document.createElement("tr");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.value = x.phone;
        box.id = "member-" + i;
        box.checked = !!chosen[x.phone];
        box.setAttribute("aria-label", "Choose " + x.phone);
        cell(row, box);
        cell(row, x.phone);
        cell(row, pill(x.subscription_state));
        cell(row, x.verified ? "yes" : "no");
        body.appendChild(row);
      });
      if (!members.length) {
        var row = document.createElement("tr");
        cell(row, "No members yet: subscribe a number on the phone sign-up page.").colSpan = 4;
        body.appendChild(row);
      }
    });
  }

  function messages() {
    return getJson("/sandbox/messages").then(function (m) {
      var list = $("sent");
      list.textContent = "";
      m.messages.forEach(function (x) {
        var li = document.createElement("li");
        var head = document.createElement("p");
        head.className = "status-line";
        head.appendChild(pill(x.status));
        var what = document.createElement("span");
        what.textContent = "“" + x.text + "” from " + x.from + ", " + new Date(x.send_at).toLocaleString();
        head.appendChild(what);
        if (x.status === "scheduled" && !x.recipients.some(function (r) { return r.status === "sent"; })) {
          var cancel = document.createElement("button");
          cancel.type = "button";
          cancel.className = "small";
          cancel.textContent = "Cancel";
          cancel.addEventListener("click", function () { send("DELETE", "/sandbox/messages/" + x.id).then(refresh); });
          head.appendChild(cancel);
        }
        li.appendChild(head);
        var ul = document.createElement("ul");
        x.recipients.forEach(function (r) {
          var item = document.createElement("li");
          item.textContent = r.phone + ": " + r.status + (r.reason ? " (" + r.reason + ")" : "");
          ul.appendChild(item);
        });
        li.appendChild(ul);
        list.appendChild(li);
      });
    });
  }

  // The counter: characters against the group's limit, and what the text
  // costs per recipient (segments, counted by the sandbox).
  var counting = 0;
  function count() {
    var text = $("text").value, mine = ++counting;
    var phone = (members[0] || {}).phone || "+14155550100";
    getJson("/sandbox/segments?text=" + encodeURIComponent(text) + "&phone=" + encodeURIComponent(phone)).then(function (c) {
      if (mine !== counting) return;
      $("counter").textContent = c.characters + " / " + maxText + " characters · " + c.segments + " segment" + (c.segments === 1 ? "" : "s") + " per recipient";
    });
  }

  function refresh() {
    return Promise.all([quota(), memberList(), messages()]).then(count);
  }

  $("text").addEventListener("input", count);
  $("compose").addEventListener("submit", function (e) {
    e.preventDefault();
    var to = document.querySelector("input[name=to]:checked").value === "all" ? "all" :
      Array.prototype.map.call(document.querySelectorAll("#members input:checked"), function (c) { return c.value; });
    var at = $("send-at").value;
    var body = { subscription_group_id: GROUP, to: to, from: $("sender").value, text: $("text").value, advertising: $("advertising").checked };
    // datetime-local is the admin's local time: sent with its offset.
    if (at) body.send_at = new Date(at).toISOString();
    send("POST", "/sandbox/messages", body).then(function (r) {
      $("result").textContent = r.status + " " + JSON.stringify(r.body, null, 2);
      return refresh();
    });
  });
  $("buy").addEventListener("submit", function (e) {
    e.preventDefault();
    send("POST", "/sandbox/quota/tickets", { count: Number($("tickets").value) }).then(function (r) {
      if (r.status !== 201) $("warning").textContent = r.body.message;
      return quota();
    });
  });
  refresh();
  setInterval(messages, 5000);
})();
