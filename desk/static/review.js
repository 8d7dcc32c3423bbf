/* The review tab (desk/review.py): the inbox, labels, undo, export.
   Requests carry the session cookie and the X-Agent-Request header (desk/auth.py).
   Client text is only ever put into the page as text (textContent), never as HTML. */
(function () {
  "use strict";

  var state = { page: 1, groups: [], current: -1, selected: {}, intents: [], item: null, total: 0, perPage: 50 };
  var $ = function (id) { return document.getElementById(id); };

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-Agent-Request": "1" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("/agent/api/review" + path, options).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var error = new Error(data.error || ("the server answered " + res.status));
          error.status = res.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function notice(text) { $("notice").textContent = text; $("notice").hidden = !text; }
  function done(text) { $("done").textContent = text; $("done").hidden = !text; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function pct(value) { return value === null || value === undefined ? "–" : Math.round(value * 100) + "%"; }
  function fillSelect(select, values, keep) {
    var before = select.value;
    while (select.options.length > (keep || 0)) select.remove(keep || 0);
    values.forEach(function (v) { select.add(new Option(v.title || v, v.name || v)); });
    if (before) select.value = before;
  }

  function query() {
    var q = new URLSearchParams();
    [["reason", "f-reason"], ["intent", "f-intent"], ["since", "f-since"], ["until", "f-until"], ["state", "f-state"], ["sort", "f-sort"]]
      .forEach(function (pair) { var v = $(pair[1]).value; if (v) q.set(pair[0], v); });
    q.set("page", state.page);
    q.set("per_page", state.perPage);
    return "?" + q.toString();
  }

  function load() {
    return api("GET", "/items" + query()).then(function (data) {
      notice("");
      state.groups = data.groups;
      state.total = data.total;
      state.intents = data.intents;
      fillSelect($("f-reason"), data.reasons, 1);
      fillSelect($("f-intent"), data.intents, 1);
      fillSelect($("a-intent"), data.intents);
      fillSelect($("bulk-intent"), data.intents);
      renderList();
      if (state.current >= state.groups.length) state.current = state.groups.length - 1;
      if (state.current >= 0) open(state.current); else showItem(null);
    }).catch(function (e) { notice(e.message); });
  }

  function renderList() {
    var list = $("items");
    list.textContent = "";
    state.groups.forEach(function (g, index) {
      var row = el("li", "review-row" + (index === state.current ? " open" : ""));
      row.dataset.id = g.id;
      var box = el("input");
      box.type = "checkbox";
      box.checked = !!state.selected[g.id];
      box.setAttribute("aria-label", "select");
      box.addEventListener("change", function () { toggle(g.id, box.checked); });
      var pick = el("button", "pick");
      pick.type = "button";
      pick.appendChild(el("span", "text", g.text));
      var meta = el("span", "meta");
      meta.appendChild(document.createTextNode((g.intent || "?") + " " + pct(g.confidence) + " · "));
      g.reasons.forEach(function (r) { meta.appendChild(el("span", "tag", r.replace(/_/g, " "))); });
      if (g.count > 1) meta.appendChild(el("span", "count-badge", "×" + g.count));
      if (g.label) meta.appendChild(el("span", "tag labelled", g.label.decision + (g.label.intent ? " → " + g.label.intent : "")));
      pick.appendChild(meta);
      pick.addEventListener("click", function () { open(index); });
      row.appendChild(box);
      row.appendChild(pick);
      list.appendChild(row);
    });
    $("empty").hidden = state.groups.length > 0;
    var pages = Math.max(1, Math.ceil(state.total / state.perPage));
    $("page").textContent = "page " + state.page + " of " + pages;
    $("total").textContent = state.total + " group" + (state.total === 1 ? "" : "s");
    $("prev").disabled = state.page <= 1;
    $("next").disabled = state.page >= pages;
    updateSelected();
  }

  function toggle(id, on) {
    if (on) state.selected[id] = true; else delete state.selected[id];
    updateSelected();
  }
  function updateSelected() { $("selected").textContent = Object.keys(state.selected).length + " selected"; }

  function open(index) {
    if (index < 0 || index >= state.groups.length) return;
    state.current = index;
    Array.prototype.forEach.call($("items").children, function (li, i) { li.classList.toggle("open", i === index); });
    return api("GET", "/items/" + state.groups[index].id).then(showItem).catch(function (e) { notice(e.message); });
  }

  function showItem(item) {
    state.item = item;
    $("item").hidden = !item;
    $("placeholder").hidden = !!item;
    if (!item) return;
    $("i-text").textContent = item.text;
    $("i-normalized").hidden = !item.normalized;
    $("i-normalized").textContent = item.normalized ? "normalised: " + item.normalized : "";
    $("i-intent").textContent = (item.intent || "?") + " (" + pct(item.confidence) + ")";
    $("i-runner").textContent = item.runner_up ? item.runner_up + " (" + pct(item.runner_up_confidence) + ")" : "–";
    var why = $("i-why");
    why.textContent = "";
    Object.keys(item.why).forEach(function (k) { why.appendChild(el("li", null, k.replace(/_/g, " ") + ": " + item.why[k])); });
    $("i-count").textContent = item.group.count + " message" + (item.group.count === 1 ? "" : "s") + " like it";
    var label = item.group.label;
    $("i-label").textContent = label ? label.decision + (label.intent ? " → " + label.intent : "") + " by " + label.reviewer + " at " + label.at : "none yet";
    $("a-undo").hidden = !label;
    if (item.intent && state.intents.indexOf(item.intent) >= 0 && !$("a-intent").dataset.touched) $("a-intent").value = item.intent;
    var context = $("i-context");
    context.textContent = "";
    item.context.forEach(function (line) {
      context.appendChild(el("li", line.who + (line["this"] ? " this" : ""), (line.who === "bot" ? "Assistant: " : "Client: ") + line.text));
    });
  }

  function label(ids, decision, intent) {
    if (!ids.length) { notice("Select at least one message first."); return Promise.resolve(); }
    var body = { items: ids, decision: decision };
    if (decision === "relabel") body.intent = intent;
    return api("POST", "/labels", body).then(function (data) {
      done(data.labels.length + " group" + (data.labels.length === 1 ? "" : "s") + " labelled: " + decision + (intent && decision === "relabel" ? " → " + intent : ""));
      ids.forEach(function (id) { delete state.selected[id]; });
      return load();
    }).catch(function (e) {
      if (e.status === 409 && e.data && e.data.labels) {
        notice(e.message);
        return load();
      }
      notice(e.message);
    });
  }

  function labelCurrent(decision) {
    if (!state.item) return;
    label([state.item.id], decision, $("a-intent").value);
  }

  function undo() {
    var current = state.item && state.item.group.label;
    if (!current) return;
    api("POST", "/labels/" + current.id + "/undo").then(function () { done("Label undone."); return load(); })
      .catch(function (e) { notice(e.message); });
  }

  function loadFeedback() {
    api("GET", "/feedback").then(function (data) {
      var body = $("feedback");
      body.textContent = "";
      data.macros.forEach(function (m) {
        var tr = el("tr");
        [m.title, m.sent_as_is, m.edited, m.ignored].forEach(function (v) { tr.appendChild(el("td", null, String(v))); });
        body.appendChild(tr);
      });
      if (!data.macros.length) { var tr = el("tr"); var td = el("td", "muted", "No suggestion feedback yet."); td.colSpan = 4; tr.appendChild(td); body.appendChild(tr); }
    }).catch(function () {});
    api("GET", "/model").then(function (m) {
      $("model").textContent = m.model ? "Live model: " + m.model + (m.trained_at ? ", trained " + m.trained_at.replace("T", " ").slice(0, 16) : "") : "";
    }).catch(function () {});
  }

  $("filters").addEventListener("change", function () { state.page = 1; state.current = -1; load(); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  $("prev").addEventListener("click", function () { state.page -= 1; state.current = -1; load(); });
  $("next").addEventListener("click", function () { state.page += 1; state.current = -1; load(); });
  $("select-all").addEventListener("change", function () {
    var on = $("select-all").checked;
    state.groups.forEach(function (g) { toggle(g.id, on); });
    renderList();
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-bulk]"), function (button) {
    button.addEventListener("click", function () {
      var ids = Object.keys(state.selected).map(Number);
      label(ids, button.dataset.bulk, $("bulk-intent").value).then(function () { $("select-all").checked = false; });
    });
  });
  $("a-intent").addEventListener("change", function () { $("a-intent").dataset.touched = "1"; });
  $("a-intent").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); labelCurrent("relabel"); delete $("a-intent").dataset.touched; }
  });
  $("a-confirm").addEventListener("click", function () { labelCurrent("confirm"); });
  $("a-relabel").addEventListener("click", function () { labelCurrent("relabel"); delete $("a-intent").dataset.touched; });
  $("a-oos").addEventListener("click", function () { labelCurrent("out_of_scope"); });
  $("a-discard").addEventListener("click", function () { labelCurrent("discard"); });
  $("a-undo").addEventListener("click", undo);
  $("export").addEventListener("click", function () {
    api("POST", "/export").then(function (r) {
      done(r.examples + " reviewed examples written to " + r.path + (r.skipped_known ? " (" + r.skipped_known + " already in the training data)" : ""));
    }).catch(function (e) { notice(e.message); });
  });
  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (e.ctrlKey || e.metaKey || e.altKey || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var keys = {
      j: function () { open(Math.min(state.current + 1, state.groups.length - 1)); },
      k: function () { open(Math.max(state.current - 1, 0)); },
      s: function () { open(Math.min(state.current + 1, state.groups.length - 1)); },
      c: function () { labelCurrent("confirm"); },
      r: function () { $("a-intent").focus(); },
      o: function () { labelCurrent("out_of_scope"); },
      d: function () { labelCurrent("discard"); },
      u: undo,
      x: function () { if (state.item) { toggle(state.item.id, !state.selected[state.item.id]); renderList(); } }
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });

  load().then(function () { if (state.groups.length) open(0); });
  loadFeedback();
})();
