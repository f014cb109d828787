// The evaluation page (考核评价): wires the controls, the table, the side panel, the map and the charts together.
// One state (state.js) drives everything; a change of scope or period reloads what depends on it.
(function () {
  "use strict";
  var G = window.GISAPP;
  var state = G.state = G.readState();
  var table = null;  // the last answer of the table

  function showControls() {
    document.getElementById("scope").value = state.scope;
    document.getElementById("map-level").value = state.level;
    document.getElementById("bucket").value = state.bucket;
    document.getElementById("workload-by").value = state.by;
    document.querySelectorAll("[data-preset]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.preset === state.preset ? "true" : "false");
    });
    document.getElementById("from").value = state.from;
    document.getElementById("until").value = G.lastDay(state.to);
    document.getElementById("custom").classList.toggle("open", state.preset === "custom");
    var exportLink = document.getElementById("export");
    if (exportLink) {  // the export shows the same scope and period
      exportLink.href = G.config.export + "?" + G.periodQuery(state, { format: "xlsx", scope: state.scope });
    }
    G.writeState(state);
  }

  function fillKpis(kpis) {
    var select = G.clear(document.getElementById("kpi"));
    kpis.forEach(function (k) { select.appendChild(G.el("option", { value: k.key, text: G.kpiName(k) })); });
    if (!kpis.some(function (k) { return k.key === state.kpi; })) { state.kpi = kpis[0].key; }
    select.value = state.kpi;
  }

  function loadTable() {
    var q = G.periodQuery(state, { scope: state.scope, limit: G.PAGE, offset: state.offset || null });
    document.body.dataset.loading = "1";
    return G.api("/api/v1/evaluation?" + q).then(function (answer) {
      if (!G.kpis) { G.kpis = answer.kpis; fillKpis(answer.kpis); }
      table = answer;
      G.table.render(answer, state);
      document.getElementById("period-line").textContent = G.t("eval.period.line", {
        period: G.periodText(answer.period), previous: G.periodText(answer.previous_period),
        year: G.periodText(answer.year_before_period), asof: G.time(answer.as_of) });
      G.publish("table", { scope: answer.scope, from: answer.period.from, to: answer.period.to, total: answer.total,
                           rows: answer.rows.length });
      delete document.body.dataset.loading;
    }).catch(G.failed);
  }

  // the scope or the period changed: everything that depends on them
  function reload(periodChanged) {
    state.offset = 0;
    showControls();
    return loadTable().then(function () {
      if (periodChanged) {  // the side panel's figures were of the old period
        G.clear(document.getElementById("side-body")).appendChild(G.el("p", { "class": "muted", text: G.t("eval.side.pick") }));
        G.trend.reload();
        G.workload.reload();
        G.choropleth.reload();
      }
    });
  }

  function choosePreset(name) {
    state.preset = name;
    if (name !== "custom") {
      var p = G.presetPeriod(name);
      state.from = p[0];
      state.to = p[1];
      reload(true);
    } else {
      showControls();
      document.getElementById("from").focus();
    }
  }

  function applyCustom(ev) {
    ev.preventDefault();
    var from = document.getElementById("from").value, until = document.getElementById("until").value;
    if (!from || !until || until < from) { G.toast(G.t("eval.custom.invalid"), "error"); return; }
    state.preset = "custom";
    state.from = from;
    state.to = G.nextDay(until);  // the last day is included: the API's period ends the day after
    reload(true);
  }

  function wire() {
    document.getElementById("lang").addEventListener("click", window.GISAPP_toggleLang);
    document.getElementById("controls").addEventListener("submit", applyCustom);
    document.querySelectorAll("[data-preset]").forEach(function (b) {
      b.addEventListener("click", function () { choosePreset(b.dataset.preset); });
    });
    document.getElementById("scope").addEventListener("change", function (e) {
      state.scope = e.target.value;
      reload(false);
    });
    document.getElementById("kpi").addEventListener("change", function (e) {
      state.kpi = e.target.value;
      G.writeState(state);
      G.trend.redraw();
      G.choropleth.repaint();
    });
    document.getElementById("map-level").addEventListener("change", function (e) {
      state.level = e.target.value;
      G.writeState(state);
      G.choropleth.reload();
    });
    document.getElementById("bucket").addEventListener("change", function (e) {
      state.bucket = e.target.value;
      G.writeState(state);
      G.trend.reload();
    });
    document.getElementById("workload-by").addEventListener("change", function (e) {
      state.by = e.target.value;
      G.writeState(state);
      G.workload.reload();
    });
    G.on("sort", function (key) {
      state.dir = state.sort === key && state.dir === "desc" ? "asc" : "desc";
      state.sort = key;
      G.writeState(state);
      if (table) { G.table.render(table, state); }
    });
    // an address pasted or changed by hand, or the browser's back and forward: show what it asks for
    window.addEventListener("hashchange", function () {
      var asked = G.readState();
      Object.keys(asked).forEach(function (k) { state[k] = asked[k]; });
      if (G.kpis) { fillKpis(G.kpis); }
      reload(true);
    });
    G.on("page", function (offset) { state.offset = offset; loadTable(); });
    G.on("unit", function (unit) { G.unit.show(unit); G.trend.follow(unit); });
    G.on("drill", function (ask) { G.drill.open(ask); });
  }

  wire();
  showControls();
  G.publish("lang", G.lang);
  loadTable().then(function () {
    G.trend.start();
    G.workload.start();
    G.choropleth.start();
    document.body.dataset.ready = "1";
  });
}());
