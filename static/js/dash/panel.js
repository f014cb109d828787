// The side panel: today's figures, the event queue (by urgency and deadline), the supervision list, and tabs.
(function () {
  "use strict";
  var G = window.GISAPP;
  var FIGURES = ["reported", "closed", "open", "warned", "overdue", "level2", "on_duty"];

  G.tabs = function () {
    document.querySelectorAll("[data-tab]").forEach(function (button) {
      button.addEventListener("click", function () { G.showTab(button.dataset.tab); });
    });
  };
  G.showTab = function (name) {
    document.querySelectorAll("[data-tab]").forEach(function (b) {
      b.setAttribute("aria-selected", b.dataset.tab === name ? "true" : "false");
    });
    document.querySelectorAll(".tab-body").forEach(function (s) { s.hidden = s.id !== "tab-" + name; });
  };

  G.figures = function (values) {
    FIGURES.forEach(function (k) {
      var node = document.querySelector('[data-figure="' + k + '"] .value');
      if (node && values[k] !== undefined) { node.textContent = String(values[k]); }
    });
  };

  function dueText(e) {
    var left = (new Date(e.due) - Date.now()) / 1000;
    return left < 0 ? G.t("queue.late") + " " + G.age(-left) : G.t("queue.left") + " " + G.age(left);
  }

  G.renderQueue = function (events) {
    var list = G.clear(document.getElementById("queue"));
    document.getElementById("queue-count").textContent = String(events.length);
    if (!events.length) { list.appendChild(G.el("li", { "class": "empty", text: G.t("queue.empty") })); }
    events.slice(0, 200).forEach(function (e) {
      var badge = G.el("span", { "class": "badge st-" + e.status, text: G.t("status." + e.status) });
      var item = G.el("li", { "class": "queue-item sv-" + G.eventState(e), "data-event": e.id, tabindex: "0",
                              on: { click: function () { G.emit("select-event", e.id); },
                                    keydown: function (ev) { if (ev.key === "Enter") { G.emit("select-event", e.id); } } } }, [
        G.el("div", { "class": "row" }, [G.el("strong", { text: "#" + e.id }), badge,
          e.level === 2 ? G.el("span", { "class": "badge l2", text: G.t("level.2") }) : null,
          e.priority === "urgent" ? G.el("span", { "class": "badge urgent", text: G.t("priority.urgent") }) : null]),
        G.el("div", { text: G.categoryName(e.category) + " · " + e.grid.name }),
        G.el("div", { "class": "due", text: dueText(e) + " (" + G.time(e.due) + ")" })
      ]);
      list.appendChild(item);
    });
  };

  G.renderSupervision = function (records) {
    var list = G.clear(document.getElementById("supervision"));
    document.getElementById("supervision-count").textContent = String(records.length);
    if (!records.length) { list.appendChild(G.el("li", { "class": "empty", text: G.t("supervision.empty") })); }
    records.forEach(function (s) {
      list.appendChild(G.el("li", { "class": "queue-item sv-" + s.state, "data-event": s.event_id, tabindex: "0",
                                    on: { click: function () { G.emit("select-event", s.event_id); } } }, [
        G.el("div", { "class": "row" }, [G.el("strong", { text: "#" + s.event_id }),
          G.el("span", { "class": "badge sv-" + s.state, text: G.t("supervision." + s.state) }),
          s.escalated ? G.el("span", { "class": "badge l2", text: G.t("supervision.escalated") }) : null]),
        G.el("div", { text: G.t("limit." + s.time_limit) + " · " + G.t("queue.due") + " " + G.time(s.due) }),
        G.el("div", { "class": "muted", text: G.time(s.at) })
      ]));
    });
  };
}());
