// The workload (GET /api/v1/evaluation/workload): events reported and accepted in the period by category, kind,
// channel or level, as bars; fetched when its box is first seen. Also the categories' names the drill-down shows.
(function () {
  "use strict";
  var G = window.GISAPP;
  var chart = null, asked = "", names = {};

  G.categoryNames = {};

  function label(row) {
    if (G.state.by === "channel") { return G.t("channel." + row.key); }
    if (G.state.by === "level") { return G.t("level." + row.key); }
    return (G.lang === "en" && row.name_en) || row.name || row.key;
  }

  function draw(rows) {
    var top = rows.slice(0, 15).reverse();  // the largest at the top
    chart.setOption({
      animation: false,
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (items) {
        return G.escape(top[items[0].dataIndex].label) + "<br>" + items.map(function (i) {
          return G.escape(i.seriesName) + ": " + i.value; }).join("<br>");
      } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: top.map(function (r) { return r.label; }),
               axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", name: G.t("eval.workload.reported"), data: top.map(function (r) { return r.reported; }) },
               { type: "bar", name: G.t("eval.workload.accepted"), data: top.map(function (r) { return r.accepted; }) }]
    }, true);
  }

  function load() {
    if (!chart) { return; }
    var q = G.periodQuery(G.state, { by: G.state.by });
    if (q === asked) { return; }
    asked = q;
    G.api("/api/v1/evaluation/workload?" + q).then(function (r) {
      if (q !== asked) { return; }
      var rows = r.rows.map(function (row) { return Object.assign({ label: label(row) }, row); });
      rows.sort(function (a, b) { return b.reported - a.reported || b.accepted - a.accepted; });
      draw(rows);
      G.publish("workload", { by: G.state.by, rows: rows.length });
    }).catch(G.failed);
  }

  // the names of the period's categories (the drill-down's rows carry the code)
  G.loadCategoryNames = function () {
    var q = G.periodQuery(G.state, { by: "category" });
    if (!names[q]) {
      names[q] = G.api("/api/v1/evaluation/workload?" + q).then(function (r) {
        r.rows.forEach(function (row) { G.categoryNames[row.key] = (G.lang === "en" && row.name_en) || row.name; });
      }).catch(function () { delete names[q]; });
    }
    return names[q];
  };

  G.workload = {
    start: function () {
      var box = document.getElementById("workload-chart");
      G.whenVisible(box, function () { chart = G.makeChart(box); load(); });
    },
    reload: load
  };
}());
