// Figures for people: rates in per cent, mean minutes, counts; the arrows of 环比 (previous period) and 同比 (a year
// before), green when the change is for the better (the figure's higher_is_better), red when for the worse.
(function () {
  "use strict";
  var G = window.GISAPP;

  G.kpiName = function (k) { return (G.lang === "en" && k.name_en) || k.name; };
  G.kpiFormula = function (k) { return (G.lang === "en" && k.formula_en) || k.formula; };

  // a figure's value as shown: "85.0%", "42.5" (minutes: the unit is in the column's title), "12"; "–" for none
  G.fmt = function (kpi, value) {
    if (value === null || value === undefined) { return "–"; }
    if (kpi.kind === "rate") { return (value * 100).toFixed(1) + "%"; }
    if (kpi.kind === "minutes") { return Number(value).toFixed(1); }
    return String(value);
  };
  G.unitOf = function (kpi) { return kpi.kind === "minutes" ? G.t("eval.minutes") : ""; };

  // the change from an earlier figure: an arrow, its class (good, bad, flat, none) and a sentence for the title
  G.change = function (kpi, now, before, label) {
    if (now === null || now === undefined || before === null || before === undefined) {
      return { arrow: "·", cls: "none", text: label + ": " + G.t("eval.cmp.none") };
    }
    var diff = Math.round((now - before) * 1e6) / 1e6;
    var cls = diff === 0 ? "flat" : ((diff > 0) === kpi.higher_is_better ? "good" : "bad");
    var sign = diff > 0 ? "+" : "";
    var by = kpi.kind === "rate" ? sign + (diff * 100).toFixed(1) + " " + G.t("eval.points")
      : before ? sign + (diff / before * 100).toFixed(1) + "%" : sign + String(diff);
    return { arrow: diff > 0 ? "▲" : diff < 0 ? "▼" : "=", cls: cls,
             text: label + ": " + G.fmt(kpi, before) + " → " + G.fmt(kpi, now) + " (" + by + ")" };
  };

  // the arrows of one figure of a row: 环比 then 同比
  G.arrows = function (kpi, row) {
    return G.el("span", { "class": "cmp" }, [["previous", "eval.cmp.previous"], ["year_before", "eval.cmp.year_before"]]
      .map(function (pair) {
        var earlier = row[pair[0]] && row[pair[0]][kpi.key];
        var c = G.change(kpi, row.kpis[kpi.key].value, earlier ? earlier.value : null, G.t(pair[1]));
        return G.el("span", { "class": "arrow " + c.cls, "data-cmp": pair[0], title: c.text, "aria-label": c.text,
                              text: c.arrow });
      }));
  };

  // a date shown as it is meant: the API's period is [from, to), people read the last day included
  G.lastDay = function (to) {
    var d = new Date(to + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() - 1);
    return d.toISOString().slice(0, 10);
  };
  G.periodText = function (period) {
    return period.from + " " + G.t("eval.to") + " " + G.lastDay(period.to);
  };
}());
