// The trend of the chosen figure (GET /api/v1/evaluation/trend) for the caller's area or the unit picked in the
// table or on the map: day by day over the period, or month by month over the twelve months up to its end.
// Fetched when its box is first seen; changing the figure redraws from the points already read.
(function () {
  "use strict";
  var G = window.GISAPP;
  var chart = null, points = null, unit = null, asked = "", bucket = "day";

  function monthStart(day, back) {
    var d = new Date(day + "T00:00:00Z");
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1)).toISOString().slice(0, 10);
  }

  // the stretch and bucket the chart reads: months cover at least the twelve up to the period's last day
  function span(s) {
    var days = (new Date(s.to) - new Date(s.from)) / 86400000;
    var bucket = s.bucket === "day" && days > 400 ? "month" : s.bucket;
    if (bucket === "day") { return { from: s.from, to: s.to, bucket: "day" }; }
    var last = G.lastDay(s.to), from = monthStart(last, 11);
    return { from: from < s.from ? from : monthStart(s.from, 0), to: monthStart(last, -1), bucket: "month" };
  }

  function kpiOf(key) { return G.kpis.filter(function (k) { return k.key === key; })[0] || G.kpis[0]; }

  // a count as bars; a rate or mean as a line over the bars of its denominator (how many cases it rests on)
  function series(kpi) {
    var values = points.map(function (p) { return G.chartValue(kpi, p.kpis[kpi.key].value); });
    if (kpi.kind === "count") { return [{ type: "bar", name: G.kpiName(kpi), data: values }]; }
    return [{ type: "bar", name: G.t("eval.trend.base"), yAxisIndex: 1, itemStyle: { color: "#cfd8dc" },
              data: points.map(function (p) { return p.kpis[kpi.key].denominator; }) },
            { type: "line", name: G.kpiName(kpi), connectNulls: false, showSymbol: true, symbolSize: 7, data: values }];
  }

  function draw() {
    if (!chart || !points) { return; }
    var kpi = kpiOf(G.state.kpi);
    var label = function (p) { return p.from.slice(0, bucket === "month" ? 7 : 10); };
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      title: { text: G.kpiName(kpi), left: "center", textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis", formatter: function (items) {
        var p = points[items[0].dataIndex], f = p.kpis[kpi.key];
        return G.escape(label(p)) + "<br>" + G.escape(G.kpiName(kpi)) + ": " + G.escape(G.fmt(kpi, f.value)) +
          (f.denominator !== null ? " (" + f.numerator + "/" + f.denominator + ")" : "");
      } },
      xAxis: { type: "category", data: points.map(label) },
      yAxis: [G.valueAxis(kpi), { type: "value", minInterval: 1, splitLine: { show: false } }],
      series: series(kpi)
    }, true);
    G.publish("trend", { kpi: kpi.key, points: points.length, code: unit ? unit.code : null });
  }

  function load() {
    if (!chart) { return; }
    var s = span(G.state);
    var q = G.periodQuery(s, { bucket: s.bucket, scope: unit ? unit.scope : null, code: unit ? unit.code : null });
    if (q === asked) { draw(); return; }
    asked = q;
    G.api("/api/v1/evaluation/trend?" + q).then(function (r) {
      if (q !== asked) { return; }  // a newer question was asked meanwhile
      points = r.points;
      bucket = s.bucket;
      draw();
    }).catch(G.failed);
  }

  G.trend = {
    start: function () {
      var box = document.getElementById("trend-chart");
      G.whenVisible(box, function () { chart = G.makeChart(box); load(); });
    },
    reload: load,
    redraw: draw,
    // the unit whose trend is drawn (null: the caller's whole area)
    follow: function (picked) {
      unit = picked && picked.scope !== "county" ? picked : null;
      document.getElementById("trend-unit").textContent = unit ? unit.name || unit.code : "";
      load();
    }
  };
}());
