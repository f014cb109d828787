// The table of figures: a row per unit of the scope, a column per figure (value, numerator/denominator, 环比 and 同比
// arrows), sorted by any column. A unit's name opens its figures; a numerator or denominator its events.
(function () {
  "use strict";
  var G = window.GISAPP;
  var shown = null;  // the answer drawn: {scope, rows}

  function drillButton(row, kpi, part, count) {
    return G.el("button", { type: "button", "class": "drill", "data-part": part, "data-kpi": kpi.key,
      title: G.t("eval.drill." + part), text: count === null || count === undefined ? "–" : String(count),
      on: { click: function () { G.emit("drill", { kpi: kpi.key, part: part, scope: shown.scope, code: row.code,
                                                   name: row.name, offset: 0 }); } } });
  }

  function cell(row, kpi) {
    var f = row.kpis[kpi.key];
    var td = G.el("td", { "data-kpi": kpi.key, "data-value": f.value === null ? "" : String(f.value),
                          "class": "fig fig-" + kpi.kind });
    if (kpi.kind === "count") {
      td.appendChild(G.el("span", { "class": "value" }, [drillButton(row, kpi, "numerator", f.numerator)]));
    } else {
      td.appendChild(G.el("span", { "class": "value", text: G.fmt(kpi, f.value) }));
    }
    td.appendChild(G.arrows(kpi, row));
    if (kpi.kind !== "count") {
      td.appendChild(G.el("span", { "class": "nd" }, [drillButton(row, kpi, "numerator", f.numerator), "/",
                                                        drillButton(row, kpi, "denominator", f.denominator)]));
    }
    return td;
  }

  function sortKey(row, key) {
    if (key === "name") { return row.name || row.code; }
    var f = row.kpis[key];
    return f ? f.value : null;
  }

  function sorted(rows, key, dir) {
    if (!key) { return rows; }
    var sign = dir === "asc" ? 1 : -1;
    return rows.slice().sort(function (a, b) {
      var x = sortKey(a, key), y = sortKey(b, key);
      if (x === null || x === undefined) { return y === null || y === undefined ? 0 : 1; }  // no figure: last
      if (y === null || y === undefined) { return -1; }
      if (typeof x === "string") { return sign * x.localeCompare(y, G.lang === "zh" ? "zh-CN" : "en"); }
      return sign * (x - y);
    });
  }

  function header(kpis, state) {
    var th = function (key, label, title) {
      var ariaSort = state.sort === key ? (state.dir === "asc" ? "ascending" : "descending") : "none";
      return G.el("th", { scope: "col", "aria-sort": ariaSort, "data-sort": key, title: title }, [
        G.el("button", { type: "button", "class": "sort",
          on: { click: function () { G.emit("sort", key); } } }, [label, G.el("span", { "class": "sort-mark",
            text: ariaSort === "ascending" ? " ↑" : ariaSort === "descending" ? " ↓" : "" })])]);
    };
    return G.el("tr", {}, [th("name", G.t("eval.unit"), "")].concat(kpis.map(function (k) {
      var unit = G.unitOf(k);
      return th(k.key, G.kpiName(k) + (unit ? " (" + unit + ")" : ""), G.kpiFormula(k));
    })));
  }

  function unitCell(row, scope) {
    return G.el("th", { scope: "row", "class": "unit" }, [
      G.el("button", { type: "button", "class": "unit-link", text: row.name || row.code,
        on: { click: function () { G.emit("unit", { scope: scope, code: row.code, name: row.name }); } } }),
      G.el("span", { "class": "code", text: row.code })]);
  }

  G.table = {
    render: function (answer, state) {
      shown = answer;
      var table = document.getElementById("figures-table");
      G.clear(table.tHead).appendChild(header(G.kpis, state));
      var body = G.clear(table.tBodies[0]);
      sorted(answer.rows, state.sort, state.dir).forEach(function (row) {
        body.appendChild(G.el("tr", { "data-code": row.code }, [unitCell(row, answer.scope)].concat(
          G.kpis.map(function (k) { return cell(row, k); }))));
      });
      if (!answer.rows.length) {
        body.appendChild(G.el("tr", {}, [G.el("td", { colspan: String(G.kpis.length + 1), "class": "empty",
                                                      text: G.t("eval.table.empty") })]));
      }
      document.getElementById("table-count").textContent = G.t("eval.table.count", { n: answer.total });
      G.table.pager(answer, state);
    },
    // more units than one page (members of a county): the next and previous pages
    pager: function (answer, state) {
      var nav = G.clear(document.getElementById("table-pager"));
      var offset = state.offset || 0;
      nav.hidden = answer.total <= answer.rows.length && offset === 0;
      if (nav.hidden) { return; }
      nav.appendChild(G.el("button", { type: "button", disabled: offset === 0 ? "disabled" : null, text: G.t("eval.prev"),
        on: { click: function () { G.emit("page", Math.max(0, offset - G.PAGE)); } } }));
      nav.appendChild(G.el("span", { text: G.t("eval.range", { a: offset + 1, b: offset + answer.rows.length,
                                                                 n: answer.total }) }));
      nav.appendChild(G.el("button", { type: "button", text: G.t("eval.next"),
        disabled: offset + answer.rows.length >= answer.total ? "disabled" : null,
        on: { click: function () { G.emit("page", offset + G.PAGE); } } }));
    }
  };
  G.PAGE = 500;
}());
