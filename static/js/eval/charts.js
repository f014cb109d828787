// Charts (ECharts, from npm, in the page's bundle): each made only when its box first comes into view, in the page's
// language, redrawn when its box changes size. Text that comes from users (names) is escaped in tooltips.
(function () {
  "use strict";
  var G = window.GISAPP;

  // call show() once the element is on screen (now, if it is)
  G.whenVisible = function (node, show) {
    if (!("IntersectionObserver" in window)) { show(); return; }
    var seen = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { seen.disconnect(); show(); }
    });
    seen.observe(node);
  };

  G.makeChart = function (node) {
    var chart = echarts.init(node, null, { renderer: "canvas", locale: G.lang === "en" ? "EN" : "ZH" });
    if ("ResizeObserver" in window) { new ResizeObserver(function () { chart.resize(); }).observe(node); }
    return chart;
  };

  G.escape = function (text) { return echarts.format.encodeHTML(String(text === null || text === undefined ? "" : text)); };

  // the axis of a figure: per cent for rates, minutes, counts
  G.valueAxis = function (kpi) {
    return { type: "value", min: 0, max: kpi && kpi.kind === "rate" ? 100 : null, name: kpi ? G.unitOf(kpi) ||
      (kpi.kind === "rate" ? "%" : "") : "", axisLabel: { formatter: kpi && kpi.kind === "rate" ? "{value}%" : "{value}" } };
  };
  G.chartValue = function (kpi, value) {
    if (value === null || value === undefined) { return null; }
    return kpi.kind === "rate" ? Math.round(value * 1000) / 10 : value;
  };
}());
