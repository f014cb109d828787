// The event panel: the event, its tasks and timeline, and the buttons of the steps the user may take now
// (GET /api/v1/dashboard/events/<id>/actions); support: the proposed members on the map with their distance,
// confirmed all or some. Every step goes through POST /api/v1/events/<id>/actions.
(function () {
  "use strict";
  var G = window.GISAPP;
  var SHOWN = ["accept", "dispatch", "escalate", "confirm_support", "approve_extension", "refuse_extension",
               "verify", "close", "send_back", "park", "restore", "void"];
  var current = null;

  function field(label, value) {
    return G.el("div", { "class": "field" }, [G.el("span", { "class": "label", text: G.t(label) }),
                                              G.el("span", { text: value === null || value === undefined ? "" : String(value) })]);
  }

  function taskItem(task) {
    var who = task.receiver.name + (task.member ? " · " + task.member.name : "");
    return G.el("li", { "class": "sv-" + task.supervision }, [
      G.el("strong", { text: G.t("task." + task.kind) + " " + who }),
      G.el("span", { "class": "badge st-" + task.status, text: G.t("task.status." + task.status) }),
      G.el("div", { "class": "muted", text: G.t("deadline.handle_by") + " " + G.time(task.deadlines.handle_by) +
                                            (task.supervision !== "on_time" ? " · " + G.t("supervision." + task.supervision) : "") })
    ]);
  }

  function timelineItem(entry) {
    return G.el("li", {}, [G.el("time", { datetime: entry.at, text: G.time(entry.at) }),
      G.el("span", { text: " " + G.t("action." + entry.action) + (entry.to ? " → " + G.t("status." + entry.to) : "") }),
      entry.note ? G.el("div", { "class": "note", text: entry.note }) : null]);
  }

  var shownAt = 0;  // when the panel was drawn: a second click on the same button is the same step (client_ref)

  function act(id, action, extra) {
    var note = document.getElementById("action-note");
    var body = Object.assign({ action: action, client_ref: "dash-" + id + "-" + action + "-" + shownAt }, extra || {});
    if (note && note.value.trim()) { body.note = note.value.trim(); }
    return G.api("/api/v1/events/" + id + "/actions", { method: "POST", body: body }).then(function (event) {
      G.toast(G.t("action.done") + ": " + G.t("action." + action));
      G.emit("changed", event.id);
      show(event.id);
    }).catch(G.failed);
  }

  function actionButtons(event, actions) {
    var box = G.el("div", { "class": "actions", id: "actions" });
    SHOWN.filter(function (a) { return actions.indexOf(a) >= 0; }).forEach(function (a) {
      box.appendChild(G.el("button", { type: "button", "data-action": a, "class": "act act-" + a, text: G.t("action." + a),
        on: { click: function () { return a === "confirm_support" ? G.support.open(event, act) : act(event.id, a); } } }));
    });
    if (!box.childNodes.length) { box.appendChild(G.el("p", { "class": "muted", text: G.t("detail.no_actions") })); }
    return box;
  }

  function render(event, actions) {
    var c = event.location.coordinates;
    var root = G.clear(document.getElementById("detail"));
    shownAt = Date.now();
    root.dataset.event = event.id;
    root.appendChild(G.el("h2", {}, ["#" + event.id + " " + event.category.name + " ",
      G.el("span", { "class": "badge st-" + event.status, id: "detail-status", "data-status": event.status,
                     text: G.t("status." + event.status) })]));
    [field("detail.level", G.t("level." + event.level)), field("detail.priority", G.t("priority." + event.priority)),
     field("detail.channel", G.t("channel." + event.channel)),
     field("detail.place", [event.township.name, event.community.name, event.grid.name].join(" / ")),
     field("detail.coords", c[0].toFixed(6) + ", " + c[1].toFixed(6) + " (WGS84)"),
     field("detail.assigned", event.assigned_to.name), field("detail.created", G.time(event.created_at)),
     field("deadline.respond_by", G.time(event.deadlines.respond_by)),
     field("deadline.handle_by", G.time(event.deadlines.handle_by)),
     event.support_requested ? field("detail.support_requested", event.support_requested) : null,
     event.description ? field("detail.description", event.description) : null
    ].forEach(function (n) { if (n) { root.appendChild(n); } });
    root.appendChild(G.el("label", { "class": "note-input" }, [G.el("span", { text: G.t("detail.note") }),
      G.el("textarea", { id: "action-note", rows: "2", maxlength: "500" })]));
    root.appendChild(actionButtons(event, actions));
    root.appendChild(G.el("div", { id: "support" }));
    root.appendChild(G.el("h3", { text: G.t("detail.tasks") }));
    root.appendChild(G.el("ul", { "class": "tasks" }, event.tasks.map(taskItem)));
    root.appendChild(G.el("h3", { text: G.t("detail.timeline") }));
    root.appendChild(G.el("ol", { "class": "timeline", id: "timeline" }, event.timeline.map(timelineItem)));
  }

  function show(id) {
    current = id;
    return Promise.all([G.api("/api/v1/events/" + id), G.api("/api/v1/dashboard/events/" + id + "/actions")])
      .then(function (r) {
        if (current !== id) { return; }
        render(r[0], r[1].items);
        G.showTab("detail");
        G.emit("shown-event", r[0]);
      }).catch(G.failed);
  }

  G.detail = { show: show, current: function () { return current; } };
}());
