// One unit's figures in the side panel (a row's name or a feature on the map): every figure with its numerator and
// denominator (each opens its events), 环比 and 同比, and the medians of the response and handling times.
(function () {
  "use strict";
  var G = window.GISAPP;
  var MEDIAN_OF = { mean_response_minutes: "response_minutes", mean_handling_minutes: "handling_minutes" };

  function part(ask, kpi, name, count) {
    if (count === null || count === undefined) { return G.el("span", { text: "–" }); }
    return G.el("button", { type: "button", "class": "drill", "data-part": name, "data-kpi": kpi.key,
      title: G.t("eval.drill." + name), text: String(count),
      on: { click: function () { G.emit("drill", { kpi: kpi.key, part: name, scope: ask.scope, code: ask.code,
                                                   name: ask.name, offset: 0 }); } } });
  }

  function line(ask, row, kpi) {
    var f = row.kpis[kpi.key], median = MEDIAN_OF[kpi.key] && row.medians ? row.medians[MEDIAN_OF[kpi.key]] : null;
    var counts = kpi.kind === "count" ? [part(ask, kpi, "numerator", f.numerator)]
      : [part(ask, kpi, "numerator", f.numerator), " / ", part(ask, kpi, "denominator", f.denominator)];
    return G.el("tr", { "data-kpi": kpi.key }, [
      G.el("th", { scope: "row", title: G.kpiFormula(kpi), text: G.kpiName(kpi) }),
      G.el("td", { "class": "value", text: G.fmt(kpi, f.value) + (kpi.kind === "minutes" ? " " + G.unitOf(kpi) : "") }),
      G.el("td", {}, [G.arrows(kpi, row)]),
      G.el("td", { "class": "nd" }, counts.concat(median !== null && median !== undefined
        ? [G.el("div", { "class": "muted small", text: G.t("eval.median") + " " + median + " " + G.unitOf(kpi) })] : []))
    ]);
  }

  G.unit = {
    show: function (ask) {
      var q = G.periodQuery(G.state, { scope: ask.scope, code: ask.code });
      return G.api("/api/v1/evaluation?" + q).then(function (answer) {
        var row = answer.rows[0], root = G.clear(document.getElementById("side-body"));
        ask.name = ask.name || row.name;
        root.appendChild(G.el("h2", { id: "unit-title", "data-code": row.code },
          [row.name || row.code, " ", G.el("span", { "class": "muted small", text: G.t("eval.scope." + ask.scope) })]));
        root.appendChild(G.el("p", { "class": "muted", text: row.code + " · " + G.periodText(answer.period) }));
        root.appendChild(G.el("table", { "class": "unit-figures", id: "unit-figures" },
          [G.el("tbody", {}, G.kpis.map(function (k) { return line(ask, row, k); }))]));
        G.publish("unit", { scope: ask.scope, code: row.code });
      }).catch(G.failed);
    }
  };
}());
