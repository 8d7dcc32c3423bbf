/*
 * The Insights page: the figures of a period from /agent/api/insights, as key
 * figures, two trend charts (Chart.js, served by the assistant itself) and
 * tables; the CSV link asks /agent/api/insights.csv for the same period.
 * Everything is built with DOM calls and textContent.
 */
(function () {
  "use strict";

  var OUTCOMES = [
    ["contained_confirmed", "Contained, confirmed", "#14804a"],
    ["contained_assumed", "Contained, assumed", "#7cc49a"],
    ["handed_over", "Handed over", "#2f6fb3"],
    ["nobody_available", "Nobody available", "#c47f00"],
    ["abandoned", "Abandoned", "#b3261e"],
    ["in_progress", "In progress", "#a7b1bd"]
  ];
  var REASONS = {
    client_asked_for_person: "The client asked for a person",
    client_accepted_offer: "The client accepted the offer of a person",
    message_still_unclear: "The message stayed unclear"
  };
  var charts = {};

  function $(id) { return document.getElementById(id); }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  function pct(rate) { return rate === null || rate === undefined ? "–" : (Math.round(rate * 1000) / 10) + "%"; }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    return (Math.round(seconds / 360) / 10) + " h";
  }

  function query() {
    var preset = $("preset").value;
    var params = new URLSearchParams();
    var days;
    if (preset === "custom") {
      params.set("from", $("from").value);
      params.set("to", $("to").value);
      days = (new Date($("to").value) - new Date($("from").value)) / 86400000 + 1;
    } else {
      params.set("period", preset);
      days = parseInt(preset, 10);
    }
    var group = $("group").value;
    params.set("group", group === "auto" ? (days > 92 ? "week" : "day") : group);
    return params;
  }

  var latest = 0;  /* the newest request: an older answer arriving late is dropped */

  function load() {
    var mine = ++latest;
    var params = query();
    $("csv").href = "/agent/api/insights.csv?" + params.toString();
    document.querySelector("main").setAttribute("aria-busy", "true");
    return fetch("/agent/api/insights?" + params.toString(), { credentials: "same-origin" }).then(function (res) {
      if (res.status === 401) { window.location.href = "/agent/"; return null; }
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body && body.error ? body.error : "the figures could not be loaded (" + res.status + ")");
        return body;
      });
    }).then(function (data) {
      if (!data || mine !== latest) return;
      notice("");
      show(data);
    }).catch(function (e) {
      if (mine === latest) notice(e.message);
    }).then(function () {
      if (mine === latest) document.querySelector("main").setAttribute("aria-busy", "false");
    });
  }

  function notice(text) { $("notice").textContent = text; $("notice").hidden = !text; }

  function show(data) {
    var t = data.totals;
    $("empty").hidden = t.conversations > 0;
    $("k-conversations").textContent = String(t.conversations);
    $("k-split").textContent = t.bot_only + " bot only · " + t.agent_handled + " with an agent";
    $("k-containment").textContent = pct(t.containment.total);
    $("k-containment-split").textContent = pct(t.containment.confirmed) + " confirmed · " + pct(t.containment.assumed) + " assumed";
    $("k-handover").textContent = pct(t.handover_rate);
    $("k-nobody").textContent = t.outcomes.nobody_available + " found nobody available · " + t.passed_waiting_limit + " waited past the limit";
    $("k-claim").textContent = duration(t.time_to_claim_seconds.p50);
    $("k-resolve").textContent = "p90 " + duration(t.time_to_claim_seconds.p90) + " · to resolve p50 " + duration(t.time_to_resolve_seconds.p50);
    $("k-csat").textContent = pct(t.csat.all.score);
    $("k-csat-sub").textContent = t.csat.all.ratings + " ratings · " + pct(t.csat.all.response_rate) + " answered";
    drawCharts(data);
    figuresTable(t);
    rows("macros", Object.keys(t.macros).map(function (m) { return [m, t.macros[m].scripts, t.macros[m].links]; }), "No scripts or links sent");
    rows("reasons", Object.keys(t.handover_rate_by_reason).map(function (r) {
      return [REASONS[r] || r, pct(t.handover_rate_by_reason[r])];
    }), "No hand-overs");
    var s = t.suggestions;
    rows("suggestions", [["Sent as is", s.sent_as_is], ["Edited, then sent", s.edited], ["Passed over for another macro", s.other_macro], ["Ignored", s.ignored]]);
  }

  function figuresTable(t) {
    var c = t.csat;
    rows("figures", [
      ["Conversations", t.conversations],
      ["Contained, confirmed", t.outcomes.contained_confirmed + " (" + pct(t.containment.confirmed) + ")"],
      ["Contained, assumed", t.outcomes.contained_assumed + " (" + pct(t.containment.assumed) + ")"],
      ["Handed over", t.outcomes.handed_over + " (bot resumed " + t.handed_over_ended.resumed + ", closed " + t.handed_over_ended.closed + ", client left " + t.handed_over_ended.client_left + ", open " + t.handed_over_ended.open + ")"],
      ["Nobody available", t.outcomes.nobody_available],
      ["Abandoned", t.outcomes.abandoned],
      ["In progress", t.outcomes.in_progress],
      ["Fallback rate", pct(t.fallback_rate)],
      ["Clarification rate", pct(t.clarification_rate)],
      ["Hand-overs", t.handovers],
      ["Told at hand-over", toldAtHandOver(t.handovers_by_availability)],
      ["Time to claim p50 / p90", duration(t.time_to_claim_seconds.p50) + " / " + duration(t.time_to_claim_seconds.p90)],
      ["Time to resolve p50 / p90", duration(t.time_to_resolve_seconds.p50) + " / " + duration(t.time_to_resolve_seconds.p90)],
      ["CSAT, bot only", pct(c.bot_only.score) + " of " + c.bot_only.ratings + " · " + pct(c.bot_only.response_rate) + " answered"],
      ["CSAT, with an agent", pct(c.agent_handled.score) + " of " + c.agent_handled.ratings + " · " + pct(c.agent_handled.response_rate) + " answered"]
    ]);
  }

  // What clients were told at hand-over (handover/announce.py): agents online, nobody online, outside hours
  function toldAtHandOver(told) {
    if (!told) return "–";
    var text = told.online + " agent joining · " + told.nobody_online + " nobody online · " + told.outside_hours + " outside hours";
    return told.unknown ? text + " · " + told.unknown + " before this was kept" : text;
  }

  function rows(tableId, data, emptyText) {
    var body = $(tableId).querySelector("tbody");
    while (body.firstChild) body.removeChild(body.firstChild);
    if (!data.length && emptyText) {
      var tr = el("tr");
      var td = el("td", emptyText);
      td.colSpan = 3;
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    data.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (value, i) {
        var cell = i === 0 ? el("th", String(value)) : el("td", String(value), "num");
        if (i === 0) cell.scope = "row";
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
  }

  function drawCharts(data) {
    var labels = data.series.map(function (e) { return e.start; });
    var outcomes = OUTCOMES.map(function (o) {
      return { label: o[1], data: data.series.map(function (e) { return e.outcomes[o[0]]; }), backgroundColor: o[2], stack: "c" };
    });
    function share(value) { return value === null ? null : Math.round(value * 1000) / 10; }
    var rates = [
      ["Containment", "#14804a", function (e) { return e.containment.total; }],
      ["Hand-over rate", "#2f6fb3", function (e) { return e.handover_rate; }],
      ["CSAT", "#c47f00", function (e) { return e.csat.all.score; }]
    ].map(function (r) {
      return { label: r[0], data: data.series.map(function (e) { return share(r[2](e)); }), borderColor: r[1], backgroundColor: r[1], spanGaps: true, tension: 0.2 };
    });
    draw("outcomes", "bar", labels, outcomes, { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } });
    draw("rates", "line", labels, rates, { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } });
  }

  function draw(name, type, labels, datasets, scales) {
    if (typeof window.Chart !== "function") { notice("The charts could not load; the tables below have every figure."); return; }
    if (charts[name]) {
      charts[name].data.labels = labels;
      charts[name].data.datasets = datasets;
      charts[name].update();
      return;
    }
    charts[name] = new window.Chart($("chart-" + name), {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: scales
      }
    });
  }

  $("preset").addEventListener("change", function () {
    var custom = $("preset").value === "custom";
    $("custom").hidden = !custom;
    if (custom && !$("from").value) {
      var today = new Date();
      $("to").value = today.toISOString().slice(0, 10);
      $("from").value = new Date(today.getTime() - 29 * 86400000).toISOString().slice(0, 10);
    }
    if (!custom) load();
  });
  $("group").addEventListener("change", load);
  $("period").addEventListener("submit", function (event) { event.preventDefault(); load(); });
  window.ToolkitInsights = { load: load };
  load();
})();
