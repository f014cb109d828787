// The grid officer's phone page (网格员): my grid and its neighbours, where I am (geolocation) and whether I am
// inside my grid, my tasks with their deadlines (China Standard Time) and steps, a report by tapping the map,
// and my duty status.
(function () {
  "use strict";
  var lang = window.GISAPP_LANG;  // the page's language (static/js/i18n.js reads its catalog)
  var t = window.GISAPP_translator("officer.");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var $ = function (id) { return document.getElementById(id); };
  // the steps a receiver takes from each state of its task (docs/lifecycle.md)
  var STEPS = { dispatched: ["acknowledge", "return"], acknowledged: ["arrive", "handle", "return"],
                on_scene: ["handle"] };
  var OPEN = ["reported", "accepted", "dispatched", "acknowledged", "on_scene", "handled", "parked"];

  $("lang").addEventListener("click", window.GISAPP_toggleLang);

  var map = L.map("map", { zoomControl: true }).setView([32.06, 118.83], 15);
  var state = { events: L.layerGroup().addTo(map), me: null, grid: null, team: null, position: null, reporting: false, pick: null, marker: null,
                tasks: 0, outcome: "", duty: null, where: null };

  function api(method, url, body) {
    var headers = { "Accept": "application/json" };
    if (method !== "GET") { headers["Content-Type"] = "application/json"; headers["X-CSRF-Token"] = csrf; }
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
                        body: body === undefined ? undefined : JSON.stringify(body) }).then(answer);
  }

  function answer(r) {
    return r.json().catch(function () { return {}; }).then(function (json) { return { status: r.status, body: json }; });
  }

  // a photo goes to its event as multipart (the browser sets the boundary); the server reads its type from the bytes
  function uploadPhoto(eventId, file) {
    var form = new FormData();
    form.append("file", file);
    return fetch("/api/v1/events/" + eventId + "/photos", { method: "POST", credentials: "same-origin", body: form,
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf } }).then(answer);
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function cst(iso) {
    if (!iso) { return "—"; }
    return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
  }

  function say(text, kind) {
    var box = $("message");
    box.textContent = text;
    box.className = "message " + (kind || "");
  }

  function failed(r) {
    var err = (r.body && r.body.error) || {};
    say(t("errorPrefix") + (err.message || r.status), "error");
    publish(err.code || String(r.status));
  }

  function uuid() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // what the page shows, for people checking it and for the browser tests
  function publish(outcome) {
    if (outcome !== undefined) { state.outcome = outcome; }
    document.body.dataset.state = JSON.stringify({ grid: state.grid && state.grid.properties.code,
      neighbours: state.neighbours || 0, where: state.where, tasks: state.tasks, duty: state.duty,
      outcome: state.outcome });
  }

  // ---- my grid and its neighbours ------------------------------------------------------------------

  function drawGrids(fc, code) {
    var mine = null;
    var geo = L.geoJSON(fc, {
      style: function (f) {
        return f.properties.code === code ? { color: "#0b3d91", weight: 3, fillColor: "#9ecae1", fillOpacity: 0.35 }
                                          : { color: "#5b9bd5", weight: 1.5, dashArray: "4 3", fillOpacity: 0.05 };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip((f.properties.code === code ? t("mine") : t("neighbour")) + " · " + f.properties.name);
        if (f.properties.code === code) { mine = layer; }
      }
    }).addTo(map);
    state.grid = fc.features.filter(function (f) { return f.properties.code === code; })[0] || null;
    state.neighbours = fc.features.length - (state.grid ? 1 : 0);
    state.team = state.grid && state.grid.properties.team ? state.grid.properties.team.code : null;
    $("grid-name").textContent = state.grid ? state.grid.properties.name + " " + code : code;
    map.fitBounds((mine || geo).getBounds(), { padding: [10, 10] });
  }

  // ---- where I am -------------------------------------------------------------------------------------

  function located(pos) {
    var lon = pos.coords.longitude, lat = pos.coords.latitude;
    state.position = { type: "Point", coordinates: [lon, lat] };
    var latlng = L.latLng(lat, lon);
    if (!state.marker) {
      state.marker = L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1 }).addTo(map);
      state.accuracy = L.circle(latlng, { radius: pos.coords.accuracy || 0, weight: 1, fillOpacity: 0.1 }).addTo(map);
    } else {
      state.marker.setLatLng(latlng);
      state.accuracy.setLatLng(latlng).setRadius(pos.coords.accuracy || 0);
    }
    if (!state.grid) { return; }
    var where = window.gisappGeo.where(state.grid.geometry, lon, lat);
    state.where = { inside: where.inside, distance_m: Math.round(where.distance_m) };
    var text = t(where.inside ? "inside" : "outside", { d: Math.round(where.distance_m) });
    if (pos.coords.accuracy) { text += "（" + t("accuracy", { d: Math.round(pos.coords.accuracy) }) + "）"; }
    $("position").textContent = text;
    $("where").className = "where " + (where.inside ? "inside" : "outside");
    publish();
  }

  function locate() {
    if (!navigator.geolocation) { $("position").textContent = t("noLocation"); return; }
    navigator.geolocation.watchPosition(located, function () { $("position").textContent = t("noLocation"); },
                                        { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }

  // ---- duty status ------------------------------------------------------------------------------------

  function reportDuty(status) {
    var body = { duty_status: status };
    if (state.position) { body.position = state.position; }
    publish("busy");
    return api("POST", "/api/v1/members/me/status", body).then(function (r) {
      if (r.status !== 200) { return failed(r); }
      state.duty = r.body.duty_status;
      var text = t("dutyNow", { s: t("duty." + r.body.duty_status) });
      if (r.body.inside_own_grid !== null && r.body.inside_own_grid !== undefined) {
        text += " " + t(r.body.inside_own_grid ? "serverInside" : "serverOutside");
      }
      $("duty-state").textContent = text;
      document.querySelectorAll(".duty button").forEach(function (b) {
        b.classList.toggle("active", b.dataset.status === state.duty);
      });
      publish("duty");
    }, function () { say(t("network"), "error"); });
  }

  // ---- my tasks ----------------------------------------------------------------------------------------

  function loadTasks() {
    // every event my account sees: my grid's, my own reports, and those my team was given a task in (support
    // in a neighbouring grid included)
    return api("GET", "/api/v1/events?limit=50").then(function (r) {
      if (r.status !== 200) { return failed(r); }
      var open = r.body.items.filter(function (e) { return OPEN.indexOf(e.status) >= 0; }).slice(0, 20);
      return Promise.all(open.map(function (e) { return api("GET", "/api/v1/events/" + e.id); }));
    }).then(function (answers) {
      if (!answers) { return; }
      var list = $("tasks");
      list.textContent = "";
      var events = answers.filter(function (a) { return a.status === 200; }).map(function (a) { return a.body; });
      events.forEach(function (ev) { list.appendChild(taskCard(ev)); });
      drawEvents(events);
      if (!events.length) { list.appendChild(el("li", t("noTasks"), "muted")); }
      state.tasks = events.length;
      publish();
    });
  }

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
    item.appendChild(el("p", t("respondBy") + " " + cst(deadlines.respond_by) + " · " + t("handleBy") + " " +
                             cst(deadlines.handle_by) + " " + t("cst") + (overdue ? " · " + t("overdue") : ""),
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
    var body = { action: action, client_ref: uuid() };
    if (state.position) { body.position = state.position; }
    publish("busy");
    return api("POST", "/api/v1/events/" + id + "/actions", body).then(function (r) {
      if (r.status !== 200) { return failed(r); }
      say(t("done", { a: t("action." + action) }) + " #" + id, "ok");
      publish("acted:" + action);
      return loadTasks();
    }, function () { say(t("network"), "error"); });
  }

  // ---- reporting by tapping the map ------------------------------------------------------------------------

  function pick(latlng) {
    if (!state.reporting) { return; }
    state.pick = latlng;
    if (state.pickMarker) { state.pickMarker.setLatLng(latlng); }
    else {
      state.pickMarker = L.circleMarker(latlng, { radius: 9, color: "#b71c1c", weight: 3, fillColor: "#ef5350",
                                                  fillOpacity: 0.8 }).addTo(map);
    }
    $("report-where").textContent = t("at") + ": " + latlng.lng.toFixed(6) + ", " + latlng.lat.toFixed(6);
    $("report-form").hidden = false;
    publish("picked");
  }

  function stopReporting() {
    state.reporting = false;
    state.pick = null;
    if (state.pickMarker) { map.removeLayer(state.pickMarker); state.pickMarker = null; }
    $("report-form").hidden = true;
    $("map").classList.remove("picking");
  }

  function sendReport(e) {
    e.preventDefault();
    if (!state.pick) { return; }
    var body = { category: $("category").value, description: $("description").value.trim(), channel: "patrol",
                 location: { type: "Point", coordinates: [state.pick.lng, state.pick.lat] }, client_ref: state.ref };
    if (!body.description) { delete body.description; }
    $("report-send").disabled = true;
    publish("busy");
    var network = function () { $("report-send").disabled = false; say(t("network"), "error"); };
    return api("POST", "/api/v1/events", body).then(function (r) {
      if (r.status !== 201 && r.status !== 200) { $("report-send").disabled = false; return failed(r); }
      var file = $("photo").files[0];
      if (!file) { return reported(r.body.id, "reported"); }
      return uploadPhoto(r.body.id, file).then(function (p) {
        if (p.status !== 201 && p.status !== 200) { return photoFailed(r.body.id, p); }
        return reported(r.body.id, "photoSent");
      }, network);
    }, network);
  }

  function reported(id, message) {
    $("report-send").disabled = false;
    stopReporting();
    $("description").value = "";
    $("photo").value = "";
    say(t(message, { id: id }), "ok");
    publish("reported:" + id);
    return loadTasks();
  }

  // the event exists; the form stays with its key, so sending again answers the same event and retries the photo
  function photoFailed(id, p) {
    var err = (p.body && p.body.error) || {};
    $("report-send").disabled = false;
    say(t("photoFailed", { id: id, m: err.message || p.status }), "error");
    publish(err.code || String(p.status));
  }

  function loadCategories() {
    return api("GET", "/api/v1/categories").then(function (r) {
      var select = $("category");
      (r.body.items || []).forEach(function (c) {
        var option = el("option", (lang === "en" && c.name_en ? c.name_en : c.name));
        option.value = c.code;
        select.appendChild(option);
      });
    });
  }

  // ---- wiring ------------------------------------------------------------------------------------------------

  map.on("click", function (e) { pick(e.latlng); });
  $("report").addEventListener("click", function () {
    state.reporting = true;
    state.ref = uuid();  // one report, one key: a retry of the same report is not a second event
    $("map").classList.add("picking");
    say(t("reportHint"));
  });
  $("report-cancel").addEventListener("click", stopReporting);
  $("report-form").addEventListener("submit", sendReport);
  document.querySelectorAll(".duty button").forEach(function (b) {
    b.addEventListener("click", function () { reportDuty(b.dataset.status); });
  });

  window.gisappOfficer = { map: map, state: state };
  api("GET", "/api/v1/auth/me").then(function (r) {
    state.me = r.body;
    return Promise.all([api("GET", "/api/v1/layers/grids"), loadCategories()]);
  }).then(function (answers) {
    drawGrids(answers[0].body, state.me.area.code);
    locate();
    setInterval(loadTasks, 60000);  // new dispatches to my team show up within a minute
    return loadTasks();
  }).then(function () { publish(state.outcome || "ready"); });
})();
