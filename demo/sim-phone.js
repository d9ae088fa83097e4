// The demo's simulated phone, shared by its pages: what the sandbox sent a
// number (the outbox) and the number's state in a group, drawn into a list
// and a state pill; and a reply sent as the number (/sandbox/inbound).
window.simPhone = {
  // Draws `phone`'s texts of `group` (all groups unless `onlyGroup`) into
  // `list`, each through `line` (default: its body), and its state into `pill`.
  show: function (phone, group, list, pill, options) {
    var o = options || {};
    var p = encodeURIComponent(phone);
    // Only the latest call may paint: an older one can answer last.
    var mine = (list.shown = (list.shown || 0) + 1);
    var get = function (url) { return fetch(url).then(function (r) { return r.json(); }); };
    return Promise.all([
      get("/sandbox/outbox?phone=" + p),
      get("/subscription/status/get?phone=" + p + "&subscription_group_id=" + encodeURIComponent(group)),
    ]).then(function (a) {
      if (mine !== list.shown) return a;
      list.textContent = "";
      (a[0].messages || []).forEach(function (m) {
        if (o.onlyGroup && m.subscription_group_id !== group) return;
        var li = document.createElement("li");
        li.textContent = o.line ? o.line(m) : m.body;
        list.appendChild(li);
      });
      var g = (a[1].subscription_groups || [])[0];
      var state = g ? (g.pending_double_opt_in ? "pending" : g.subscription_state) : "unknown";
      pill.textContent = o.label ? o.label(g, state) : g ? state : "invalid number";
      pill.className = "pill " + state;
      return a;
    });
  },
  // Sends the text in `input` from `phone` to `group`; once sent, the
  // field empties, unless the next text has been typed meanwhile.
  reply: function (phone, group, input) {
    var body = input.value;
    return fetch("/sandbox/inbound", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ phone: phone, subscription_group_id: group, body: body }) })
      .then(function () { if (input.value === body) input.value = ""; });
  },
};
