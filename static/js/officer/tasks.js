// My tasks: the open events I see, each a card (deadlines in CST, my team's next steps) and a map marker.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, el = G.el, map = G.map, state = G.state;
  // the steps a receiver takes from each state of its task (docs/lifecycle.md)
  var STEPS = { dispatched: ["acknowledge", "return"], acknowledged: ["arrive", "handle", "return"],
                on_scene: ["handle"] };
  var OPEN = ["reported", "accepted", "dispatched", "acknowledged", "on_scene", "handled", "parked"];

  G.loadTasks = function () {
    // every event my account sees: my grid's, my own reports, and those my team was given a task in (support
    // in a neighbouring grid included)
    return G.api("GET", "/api/v1/events?limit=50").then(function (r) {
      if (r.status !== 200) { return G.failed(r); }
      var open = r.body.items.filter(function (e) { return OPEN.indexOf(e.status) >= 0; }).slice(0, 20);
      return Promise.all(open.map(function (e) { return G.api("GET", "/api/v1/events/" + e.id); }));
    }).then(function (answers) {
      if (!answers) { return; }
      var list = G.$("tasks");
      list.textContent = "";
      var events = answers.filter(function (a) { return a.status === 200; }).map(function (a) { return a.body; });
      events.forEach(function (ev) { list.appendChild(taskCard(ev)); });
      drawEvents(events);
      if (!events.length) { list.appendChild(el("li", t("noTasks"), "muted")); }
      state.tasks = events.length;
      G.publish();
    });
  };

  function drawEvents(events) {
    state.events.clearLayers();
    events.forEach(function (ev) {
      if (!ev.location) { return; }
      var c = ev.location.coordinates;
      state.events.addLayer(L.circleMarker([c[1], c[0]], { radius: 7, color: "#b71c1c", weight: 2, fillColor: "#ff8a65",
                                                           fillOpacity: 0.9 })
        .bindTooltip("#" + ev.id + " " + (ev.category ? ev.category.name : ""), { permanent: true, direction: "right" }));
    });
  }

  // my team's live task in the event (a returned or cancelled one is no longer mine)
  function myTask(ev) {
    return (ev.tasks || []).filter(function (task) {
      return task.receiver && task.receiver.kind === "team" && task.receiver.code === state.team &&
             ["returned", "cancelled"].indexOf(task.status) < 0;
    })[0] || null;
  }

  function taskCard(ev) {
    var item = el("li", null, "task");
    item.dataset.event = ev.id;
    var task = myTask(ev);
    var head = item.appendChild(el("div", null, "task-head"));
    head.appendChild(el("strong", "#" + ev.id + " " + (ev.category ? ev.category.name : "")));
    head.appendChild(el("span", t("status." + ev.status), "badge"));
    if (ev.description) { item.appendChild(el("p", ev.description)); }
    var deadlines = (task && task.deadlines) || ev.deadlines || {};
    var overdue = task && task.supervision === "overdue";
    item.appendChild(el("p", t("respondBy") + " " + G.cst(deadlines.respond_by) + " · " + t("handleBy") + " " +
                             G.cst(deadlines.handle_by) + " " + t("cst") + (overdue ? " · " + t("overdue") : ""),
                        overdue ? "deadline overdue" : "deadline"));
    var row = item.appendChild(el("div", null, "row"));
    ((task && STEPS[task.status]) || []).forEach(function (action) {
      var b = row.appendChild(el("button", t("action." + action)));
      b.type = "button";
      b.dataset.action = action;
      b.addEventListener("click", function () { act(ev.id, action); });
    });
    item.addEventListener("click", function (e) {
      if (e.target.tagName !== "BUTTON" && ev.location) {
        map.setView([ev.location.coordinates[1], ev.location.coordinates[0]], Math.max(map.getZoom(), 16));
      }
    });
    return item;
  }

  function act(id, action) {
    var body = { action: action, client_ref: G.uuid() };
    if (state.position) { body.position = state.position; }
    G.publish("busy");
    return G.api("POST", "/api/v1/events/" + id + "/actions", body).then(function (r) {
      if (r.status !== 200) { return G.failed(r); }
      G.say(t("done", { a: t("action." + action) }) + " #" + id, "ok");
      G.publish("acted:" + action);
      return G.loadTasks();
    }, function () { G.say(t("network"), "error"); });
  }
}());
