// The events behind a figure (GET /api/v1/evaluation/drill): the numerator's or the denominator's, paged, in the
// side panel; an event's id opens its summary (GET /api/v1/events/<id>) when the role reads events.
(function () {
  "use strict";
  var G = window.GISAPP;
  var SIZE = 20;
  var last = null;  // the list shown, to come back to from an event

  function kpiOf(key) { return G.kpis.filter(function (k) { return k.key === key; })[0]; }

  function item(e) {
    var category = G.categoryNames[e.category] || e.category;
    return G.el("li", { "class": "drill-item", "data-event": e.id }, [
      G.el("button", { type: "button", "class": "event-link", text: "#" + e.id,
                       on: { click: function () { G.drill.event(e); } } }),
      " " + category + " ",
      G.el("span", { "class": "badge st-" + e.status, text: G.t("status." + e.status) }),
      G.el("div", { "class": "muted small", text: [G.t("eval.drill.grid") + " " + e.grid_code,
        G.t("eval.drill.accepted") + " " + (e.accepted_day || "–")].concat(
        // a figure of tasks (response, dispatch, handling) counts some of an event's tasks: how many
        e.tasks ? [G.t("eval.drill.tasks") + " " + e.tasks] : []).join(" · ") })
    ]);
  }

  function pager(ask, answer) {
    var nav = G.el("nav", { "class": "pager", id: "drill-pager" });
    if (answer.total <= SIZE) { return nav; }
    nav.appendChild(G.el("button", { type: "button", "data-page": "prev", text: G.t("eval.prev"),
      disabled: ask.offset === 0 ? "disabled" : null,
      on: { click: function () { G.drill.open(Object.assign({}, ask, { offset: ask.offset - SIZE })); } } }));
    nav.appendChild(G.el("span", { text: G.t("eval.range", { a: ask.offset + 1,
      b: ask.offset + answer.items.length, n: answer.total }) }));
    nav.appendChild(G.el("button", { type: "button", "data-page": "next", text: G.t("eval.next"),
      disabled: ask.offset + answer.items.length >= answer.total ? "disabled" : null,
      on: { click: function () { G.drill.open(Object.assign({}, ask, { offset: ask.offset + SIZE })); } } }));
    return nav;
  }

  function render(ask, answer) {
    var kpi = kpiOf(ask.kpi), root = G.clear(document.getElementById("side-body"));
    root.appendChild(G.el("h2", { text: G.kpiName(kpi) + " · " + G.t("eval.drill." + ask.part) }));
    root.appendChild(G.el("p", { "class": "muted", text: (ask.name || ask.code) + " · " + G.periodText(answer.period) }));
    root.appendChild(G.el("p", { "class": "formula", text: G.kpiFormula(kpi) }));
    root.appendChild(G.el("p", { id: "drill-total", text: G.t("eval.drill.total", { n: answer.total }) }));
    var list = G.el("ol", { "class": "drill-list", id: "drill-list", start: String(ask.offset + 1) },
                    answer.items.map(item));
    if (!answer.items.length) { list.appendChild(G.el("li", { "class": "empty", text: G.t("eval.drill.empty") })); }
    root.appendChild(list);
    root.appendChild(pager(ask, answer));
    G.publish("drill", { kpi: ask.kpi, part: ask.part, code: ask.code, offset: ask.offset, total: answer.total,
                         ids: answer.items.map(function (e) { return e.id; }) });
  }

  function field(label, value) {
    return G.el("div", { "class": "field" }, [G.el("span", { "class": "label", text: label }),
                                              G.el("span", { text: value === null || value === undefined ? "" : String(value) })]);
  }

  // an event as the evaluation needs it: what, where, when, its deadlines and its tasks
  function eventSummary(event) {
    return [
      field(G.t("eval.event.category"), G.categoryName(event.category)),
      field(G.t("eval.event.status"), G.t("status." + event.status)),
      field(G.t("detail.level"), G.t("level." + event.level)),
      field(G.t("detail.channel"), G.t("channel." + event.channel)),
      field(G.t("detail.place"), [event.township.name, event.community.name, event.grid.name].join(" / ")),
      field(G.t("detail.created"), G.time(event.created_at)),
      field(G.t("deadline.respond_by"), G.time(event.deadlines.respond_by)),
      field(G.t("deadline.handle_by"), G.time(event.deadlines.handle_by)),
      event.description ? field(G.t("detail.description"), event.description) : null,
      G.el("h3", { text: G.t("detail.tasks") }),
      G.el("ul", { "class": "tasks" }, event.tasks.map(function (t) {
        return G.el("li", { "class": "sv-" + t.supervision }, [
          G.t("task." + t.kind) + " " + t.receiver.name + " · " + G.t("task.status." + t.status),
          t.supervision !== "on_time" ? " · " + G.t("supervision." + t.supervision) : ""]);
      })),
      G.el("h3", { text: G.t("detail.timeline") }),
      G.el("ol", { "class": "timeline" }, event.timeline.map(function (entry) {
        return G.el("li", {}, [G.el("time", { datetime: entry.at, text: G.time(entry.at) }),
                               " " + G.t("action." + entry.action) + (entry.to ? " → " + G.t("status." + entry.to) : "")]);
      }))
    ];
  }

  function showEvent(row, event) {
    var root = G.clear(document.getElementById("side-body"));
    root.appendChild(G.el("button", { type: "button", "class": "back", id: "drill-back", text: G.t("eval.back"),
      on: { click: function () { if (last) { G.drill.open(last); } } } }));
    root.appendChild(G.el("h2", { id: "event-title", "data-event": row.id, text: "#" + row.id }));
    var parts = event ? eventSummary(event) : [
      field(G.t("eval.event.category"), G.categoryNames[row.category] || row.category),
      field(G.t("eval.event.status"), G.t("status." + row.status)), field(G.t("eval.drill.grid"), row.grid_code),
      field(G.t("eval.drill.reported"), row.reported_day), field(G.t("eval.drill.accepted"), row.accepted_day || "–"),
      row.tasks ? field(G.t("eval.drill.tasks"), row.tasks) : null, G.el("p", { "class": "muted", text: G.t("eval.event.no_access") })];
    parts.forEach(function (n) { if (n) { root.appendChild(n); } });
    G.publish("event", row.id);
  }

  G.drill = {
    open: function (ask) {
      last = ask;
      var q = G.periodQuery(G.state, { kpi: ask.kpi, part: ask.part, scope: ask.scope, code: ask.code,
                                       limit: SIZE, offset: ask.offset });
      return Promise.all([G.api("/api/v1/evaluation/drill?" + q), G.loadCategoryNames()])
        .then(function (r) { render(ask, r[0]); }).catch(G.failed);
    },
    event: function (row) {
      if (!G.config.events) { showEvent(row, null); return Promise.resolve(); }
      return G.api("/api/v1/events/" + row.id).then(function (event) { showEvent(row, event); }).catch(G.failed);
    }
  };
}());
