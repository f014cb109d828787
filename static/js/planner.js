// The planner's grid editor (网格规划): pick a community, reshape its grids with leaflet-geoman (a dragged
// shared vertex moves the neighbour's too), split, merge, create, check (preview) with the problems drawn,
// propose a fix, save with If-Match (a 412 keeps the edit beside the current layout), history and restore.
(function () {
  "use strict";
  var lang = window.GISAPP_LANG;  // the page's language (static/js/i18n.js reads its catalog)
  var t = window.GISAPP_translator("planner.");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var $ = function (id) { return document.getElementById(id); };
  var PROBLEM_COLORS = { overlap: "#d32f2f", gap: "#f57c00", sliver: "#7b1fa2", invalid_geometry: "#000000",
                         outside_community: "#c2185b", bad_grid_code: "#455a64" };
  var BASE = { color: "#2e75b6", weight: 1.5, fillColor: "#deebf7", fillOpacity: 0.25 };
  var SELECTED = { color: "#0b3d91", weight: 3, fillColor: "#9ecae1", fillOpacity: 0.45 };
  var EDITED = { color: "#e65100", weight: 2.5, fillColor: "#ffe0b2", fillOpacity: 0.4 };

  $("lang").addEventListener("click", window.GISAPP_toggleLang);

  var map = L.map("map", { zoomControl: true }).setView([32.06, 118.83], 13);
  map.pm.setLang(lang === "zh" ? "zh" : "en");
  map.pm.setGlobalOptions({ snappable: true, snapDistance: 8, allowSelfIntersection: true });
  var overlays = { communities: L.layerGroup().addTo(map), grids: L.layerGroup().addTo(map),
                   problems: L.layerGroup().addTo(map), current: L.layerGroup().addTo(map),
                   proposal: L.layerGroup().addTo(map), history: L.layerGroup().addTo(map) };
  var state = { community: null, etag: null, features: {}, layers: {}, edited: {}, creates: [], retires: [],
                op: null, selected: null, latest: null, outcome: "" };

  // ---- talking to the API --------------------------------------------------------------------------

  function api(method, url, body, headers) {
    var h = Object.assign({ "Accept": "application/json" }, headers || {});
    if (method !== "GET") { h["Content-Type"] = "application/json"; h["X-CSRF-Token"] = csrf; }
    return fetch(url, { method: method, headers: h, credentials: "same-origin",
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (json) {
          return { status: r.status, body: json, etag: r.headers.get("ETag") };
        });
      });
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function button(label, onClick, id) {
    var b = el("button", label);
    b.type = "button";
    if (id) { b.id = id; }
    b.addEventListener("click", onClick);
    return b;
  }

  function cst(iso) {
    var f = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
    return f.format(new Date(iso)) + " (" + t("cst") + ")";
  }

  // what the page shows, for people checking it and for the browser tests
  function publish(outcome) {
    if (outcome !== undefined) { state.outcome = outcome; }
    document.body.dataset.state = JSON.stringify({
      community: state.community, etag: state.etag, grids: Object.keys(state.layers).length,
      selected: state.selected, edited: Object.keys(state.edited).sort(), creates: state.creates.length,
      op: state.op && state.op.kind, problems: overlays.problems.getLayers().length,
      current: overlays.current.getLayers().length, outcome: state.outcome });
  }

  // ---- the community and its grids -----------------------------------------------------------------

  function loadCommunities() {
    return api("GET", "/api/v1/layers/communities").then(function (r) {
      var select = $("community");
      var features = (r.body.features || []).slice().sort(function (a, b) {
        return a.properties.code < b.properties.code ? -1 : 1;
      });
      features.forEach(function (f) {
        var option = el("option", f.properties.name + " " + f.properties.code);
        option.value = f.properties.code;
        select.appendChild(option);
      });
      var geo = L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: function () { return { color: "#2e75b6", weight: 2, dashArray: "6 4", fillOpacity: 0.02 }; },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(f.properties.name, { sticky: true });
          layer.on("click", function () {
            // a click while drawing is a point of the drawing; unsaved edits are not dropped by a stray click
            if (!map.pm.globalDrawModeEnabled() && !hasPending() && f.properties.code !== state.community) {
              chooseCommunity(f.properties.code);
            }
          });
        }
      }).addTo(overlays.communities);
      if (geo.getBounds().isValid()) { map.fitBounds(geo.getBounds(), { animate: false }); }
    });
  }

  function chooseCommunity(code) {
    $("community").value = code;
    return loadCommunity(code);
  }

  function loadCommunity(code) {
    publish("busy");
    return api("GET", "/api/v1/communities/" + code + "/grids").then(function (r) {
      if (r.status !== 200) { return showError(r); }
      resetEdit();
      state.community = code;
      state.etag = r.etag;
      r.body.features.forEach(function (f) { state.features[f.properties.code] = f; drawGrid(f); });
      var bounds = L.featureGroup(Object.values(state.layers)).getBounds();
      // not animated: a fit asked for during another one's zoom animation would be dropped by Leaflet
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], animate: false }); }
      $("layout").textContent = t("layoutVersion") + " " + r.etag.replace(/"/g, "") + " · " + r.body.features.length + " " + t("grids");
      fillMergeChoices();
      publish("loaded");
    });
  }

  function resetEdit() {
    map.pm.disableDraw();
    Object.values(state.layers).forEach(function (layer) { layer.pm.disable(); });
    ["grids", "problems", "current", "proposal", "history"].forEach(function (k) { overlays[k].clearLayers(); });
    state.creates.forEach(function (c) { map.removeLayer(c.layer); });
    Object.assign(state, { features: {}, layers: {}, edited: {}, creates: [], retires: [], op: null,
                           selected: null, latest: null });
    $("grid-panel").hidden = true;
    $("history-panel").hidden = true;
    $("create-form").hidden = true;
    $("result").textContent = "";
    describePending();
  }

  function drawGrid(feature) {
    var layer = L.GeoJSON.geometryToLayer(feature, { pmIgnore: false });
    var code = feature.properties.code;
    layer.setStyle(BASE);
    layer.bindTooltip(feature.properties.name + "<br>" + code, { sticky: true });
    layer.on("click", function (e) {
      if (map.pm.globalDrawModeEnabled()) { return; }  // the click is a point of the line or polygon drawn
      L.DomEvent.stopPropagation(e);
      selectGrid(code);
    });
    layer.on("pm:edit", function () { markEdited(code); });
    layer.on("pm:markerdragstart", function (e) { layer._dragOrigin = e.markerEvent.target.getLatLng().clone(); });
    layer.on("pm:markerdragend", function (e) { followSharedVertex(code, layer._dragOrigin, e.markerEvent.target.getLatLng()); });
    overlays.grids.addLayer(layer);
    state.layers[code] = layer;
  }

  function hasPending() {
    return Boolean(state.op || Object.keys(state.edited).length || state.creates.length || state.retires.length);
  }

  function restyle() {
    Object.keys(state.layers).forEach(function (code) {
      var style = code === state.selected ? SELECTED : state.edited[code] ? EDITED : BASE;
      state.layers[code].setStyle(style);
    });
  }

  function selectGrid(code) {
    state.selected = code;
    var p = state.features[code].properties;
    $("grid-title").textContent = p.name + " · " + code + " · " + t("version") + " " + p.version;
    $("grid-panel").hidden = false;
    $("edit").textContent = state.layers[code].pm.enabled() ? t("editing") : t("edit");
    fillMergeChoices();
    restyle();
    publish();
  }

  function fillMergeChoices() {
    var select = $("merge-with");
    select.textContent = "";
    select.appendChild(el("option", t("mergeWith"))).value = "";
    var mine = state.selected && state.layers[state.selected].getBounds().pad(0.05);
    Object.keys(state.layers).forEach(function (code) {
      if (code === state.selected || !mine || !mine.intersects(state.layers[code].getBounds())) { return; }
      select.appendChild(el("option", state.features[code].properties.name + " " + code)).value = code;
    });
  }

  // ---- reshaping ---------------------------------------------------------------------------------------

  function markEdited(code) {
    if (state.op) { state.op = null; overlays.proposal.clearLayers(); }
    state.edited[code] = true;
    restyle();
    describePending();
    publish();
  }

  function sameSpot(a, b) { return Math.abs(a.lat - b.lat) < 1e-9 && Math.abs(a.lng - b.lng) < 1e-9; }

  function moveVertex(latlngs, from, to) {
    var moved = false;
    for (var i = 0; i < latlngs.length; i += 1) {
      if (Array.isArray(latlngs[i])) { moved = moveVertex(latlngs[i], from, to) || moved; }
      else if (sameSpot(latlngs[i], from)) { latlngs[i] = L.latLng(to.lat, to.lng); moved = true; }
    }
    return moved;
  }

  // a vertex the dragged grid shares with a neighbour moves in the neighbour too: the shared boundary moves
  function followSharedVertex(code, from, to) {
    if (!$("linked").checked || !from || sameSpot(from, to)) { return; }
    Object.keys(state.layers).forEach(function (other) {
      if (other === code) { return; }
      var layer = state.layers[other];
      var latlngs = layer.getLatLngs();
      if (!moveVertex(latlngs, from, to)) { return; }
      var editing = layer.pm.enabled();
      if (editing) { layer.pm.disable(); }
      layer.setLatLngs(latlngs);
      if (editing) { layer.pm.enable(); }
      markEdited(other);
    });
  }

  function toggleEdit() {
    if (!state.selected) { return say(t("needGrid"), "error"); }
    var layer = state.layers[state.selected];
    // the linked move keeps shared vertices together; snapping would pull a dragged one back onto its old place
    if (layer.pm.enabled()) { layer.pm.disable(); } else { layer.pm.enable({ snappable: !$("linked").checked }); }
    $("edit").textContent = layer.pm.enabled() ? t("editing") : t("edit");
  }

  function startSplit() {
    if (!state.selected) { return say(t("needGrid"), "error"); }
    say(t("splitHint"));
    map.pm.enableDraw("Line", { finishOn: "dblclick", templineStyle: { color: "#d32f2f" },
                                pathOptions: { color: "#d32f2f", dashArray: "4 4" } });
    state.drawing = "split";
  }

  function startMerge() {
    var other = $("merge-with").value;
    if (!state.selected || !other) { return say(t("needGrid"), "error"); }
    state.op = { kind: "merge", grid: state.selected, with: other };
    state.layers[other].setStyle(EDITED);
    describePending();
    publish();
  }

  function startCreate() {
    if (!state.community) { return say(t("needCommunity"), "error"); }
    say(t("createHint"));
    map.pm.enableDraw("Polygon", { pathOptions: { color: "#2e7d32", fillColor: "#c8e6c9", fillOpacity: 0.4 } });
    state.drawing = "create";
  }

  function suggestedCode() {
    var used = Object.keys(state.layers).concat(state.creates.map(function (c) { return c.code; }));
    var last = used.reduce(function (m, c) { return Math.max(m, parseInt(c.slice(12), 10) || 0); }, 0);
    return state.community + String(last + 1).padStart(3, "0");
  }

  map.on("pm:create", function (e) {
    var kind = state.drawing;
    state.drawing = null;
    if (kind === "split") {
      state.op = { kind: "split", grid: state.selected, line: e.layer.toGeoJSON(false).geometry };
      overlays.proposal.clearLayers().addLayer(e.layer);
    } else if (kind === "create") {
      var code = suggestedCode();
      state.creates.push({ code: code, layer: e.layer });
      $("new-code").value = code;
      $("new-name").value = "";
      $("create-form").hidden = false;
      e.layer.on("pm:edit", function () { describePending(); });
      state.op = null;
    } else {
      map.removeLayer(e.layer);
    }
    describePending();
    publish();
  });

  // ---- the pending change and what it sends -------------------------------------------------------------

  function describePending() {
    var parts = [];
    var op = state.op;
    if (op && op.kind === "split") { parts.push(t("splitOf") + " " + op.grid); }
    if (op && op.kind === "merge") { parts.push(t("mergeOf") + " " + op.with + " → " + op.grid); }
    if (op && op.kind === "restore") { parts.push(t("restoreOf") + " " + op.grid + " " + t("version") + " " + op.version); }
    if (!op) {
      Object.keys(state.edited).sort().forEach(function (c) { parts.push(t("changed") + " " + c); });
      state.creates.forEach(function (c) { parts.push(t("created") + " " + ($("new-code").value || c.code)); });
      state.retires.forEach(function (c) { parts.push(t("retired") + " " + c); });
    }
    $("pending").textContent = parts.length ? parts.join("；") : t("nothingPending");
  }

  function layoutEdit() {
    var changes = Object.keys(state.edited).sort().map(function (code) {
      return { code: code, geometry: state.layers[code].toGeoJSON(false).geometry };
    });
    var creates = state.creates.map(function (c, i) {
      var last = i === state.creates.length - 1;
      return { code: last ? $("new-code").value.trim() : c.code,
               name: last ? $("new-name").value.trim() : c.name, geometry: c.layer.toGeoJSON(false).geometry };
    });
    if (state.creates.length) {  // the form edits the latest drawing's code and name
      var latest = state.creates[state.creates.length - 1];
      latest.code = creates[creates.length - 1].code;
      latest.name = creates[creates.length - 1].name;
    }
    return { changes: changes, creates: creates, retires: state.retires.slice() };
  }

  function request(preview) {
    var reason = $("reason").value.trim() || (preview ? t("check") : "");
    var op = state.op;
    var head = { "If-Match": state.etag };
    if (op && op.kind === "split") {
      return ["POST", "/api/v1/grids/" + op.grid + "/split", { line: op.line, reason: reason, preview: preview }, head];
    }
    if (op && op.kind === "merge") {
      return ["POST", "/api/v1/grids/" + op.grid + "/merge", { with: op.with, reason: reason, preview: preview }, head];
    }
    if (op && op.kind === "restore") {
      return ["POST", "/api/v1/grids/" + op.grid + "/restore", { version: op.version, reason: reason, preview: preview }, head];
    }
    var body = Object.assign(layoutEdit(), { reason: reason, preview: preview });
    if (!body.changes.length && !body.creates.length && !body.retires.length) { return null; }
    return ["PUT", "/api/v1/communities/" + state.community + "/grids", body, head];
  }

  function run(preview) {
    if (!state.community) { return say(t("needCommunity"), "error"); }
    if (!preview && !$("reason").value.trim()) { return say(t("needReason"), "error"); }
    var call = request(preview);
    if (!call) { return say(t("nothingToCheck"), "error"); }
    overlays.problems.clearLayers();
    publish("busy");
    return api.apply(null, call).then(function (r) {
      if (r.status === 200 && preview) { showValid(r.body.impact); }
      else if (r.status === 200) { saved(r); }
      else if (r.status === 422 && r.body.error.code === "topology_failed") { showProblems(r.body.error); }
      else if (r.status === 412) { conflict(r.body.error); }
      else { showError(r); }
    }, function () { say(t("network"), "error"); });
  }

  // ---- answers ----------------------------------------------------------------------------------------

  function say(text, kind) {
    var box = $("result");
    box.textContent = "";
    box.appendChild(el("p", text, kind || "notice"));
    return box;
  }

  function showError(r) {
    var err = (r.body && r.body.error) || {};
    say(t("errorPrefix") + (err.message || r.status), "error").dataset.code = err.code || String(r.status);
    publish(err.code || String(r.status));
  }

  function impactList(impact) {
    var list = el("dl", null, "impact");
    var rows = [["impactEvents", (impact.events_leaving_their_grid || []).map(function (e) {
                  return "#" + e.event + " " + e.grid + " → " + (e.now_in || "—"); })],
                ["impactTeams", impact.teams_whose_area_changes || []],
                ["impactLost", impact.teams_losing_their_grid || []],
                ["impactNoTeam", impact.grids_without_a_team || []],
                ["impactAccounts", impact.accounts_bound_to_retired_grids || []]];
    rows.forEach(function (row) {
      list.appendChild(el("dt", t(row[0])));
      list.appendChild(el("dd", row[1].length ? row[1].join("、") : t("none")));
    });
    list.appendChild(el("dd", t("impactNote"), "muted"));
    return list;
  }

  function showValid(impact) {
    var box = say(t("valid"), "ok");
    box.appendChild(el("h3", t("impact")));
    box.appendChild(impactList(impact || {}));
    publish("valid");
  }

  function saved(r) {
    var impact = r.body.impact;
    var selected = state.selected;
    return loadCommunity(state.community).then(function () {
      $("reason").value = "";
      var box = say(t("saved") + " " + r.etag, "ok");
      box.appendChild(el("h3", t("impact")));
      box.appendChild(impactList(impact || {}));
      if (selected && state.layers[selected]) { selectGrid(selected); }
      publish("saved");
    });
  }

  // a problem in the page's language, from its check, grids and area (the server's message for what has no wording)
  function describe(problem) {
    var key = "problem." + problem.check;
    var area = problem.area_m2 === null || problem.area_m2 === undefined ? "" : Math.round(problem.area_m2);
    var text = t(key, { grid: problem.grid || "", other: problem.other || "", area: area });
    if (text === key) { return (problem.grid || "") + " " + problem.message; }
    return problem.check === "invalid_geometry" ? text + " (" + problem.message + ")" : text;
  }

  function drawProblem(problem) {
    var color = PROBLEM_COLORS[problem.check] || "#d32f2f";
    var geo = L.geoJSON(problem.where, {
      style: function () { return { color: color, weight: 3, fillColor: color, fillOpacity: 0.55 }; },
      pointToLayer: function (_f, latlng) {
        return L.circleMarker(latlng, { radius: 8, color: color, fillColor: color, fillOpacity: 0.9 });
      }
    });
    geo.bindTooltip(t("check." + problem.check) + ": " + describe(problem));
    overlays.problems.addLayer(geo);
    return geo;
  }

  function showProblems(error) {
    var box = say(t("failed"), "error");
    var list = box.appendChild(el("ul", null, "problems"));
    error.details.forEach(function (problem) {
      var item = list.appendChild(el("li"));
      var swatch = item.appendChild(el("span", t("check." + problem.check), "check check-" + problem.check));
      swatch.style.borderColor = PROBLEM_COLORS[problem.check] || "#d32f2f";
      item.appendChild(el("span", " " + describe(problem)));
      if (problem.where) {
        var geo = drawProblem(problem);
        item.addEventListener("click", function () { map.fitBounds(geo.getBounds().pad(2)); });
      }
    });
    publish("topology_failed");
  }

  // ---- a version conflict: keep the edit, show the current layout beside it, let it be re-applied ------

  function conflict(error) {
    return api("GET", "/api/v1/communities/" + state.community + "/grids").then(function (r) {
      state.latest = { etag: r.etag, features: r.body.features };
      overlays.current.clearLayers().addLayer(L.geoJSON(r.body, {
        style: function () { return { color: "#616161", weight: 2, dashArray: "5 5", fillOpacity: 0 }; },
        onEachFeature: function (f, layer) { layer.bindTooltip(t("current") + " · " + f.properties.code); }
      }));
      var box = say(t("stale"), "error");
      box.dataset.code = error.code;
      box.appendChild(button(t("reapply"), reapply, "reapply"));
      publish("stale_version");
    });
  }

  function reapply() {
    var latest = state.latest;
    latest.features.forEach(function (f) {
      var code = f.properties.code;
      var mine = state.layers[code];
      if (!mine) { state.features[code] = f; drawGrid(f); return; }
      state.features[code] = f;
      if (!state.edited[code]) {  // grids the planner did not touch take the current shape
        mine.setLatLngs(L.GeoJSON.geometryToLayer(f).getLatLngs());
      }
    });
    state.etag = latest.etag;
    state.latest = null;
    overlays.current.clearLayers();
    restyle();
    say(t("reapplied"));
    publish("reapplied");
  }

  // ---- proposed fix ----------------------------------------------------------------------------------------

  function proposeFix() {
    if (!state.community) { return say(t("needCommunity"), "error"); }
    var edit = layoutEdit();
    if (state.op || (!edit.changes.length && !edit.creates.length && !edit.retires.length)) {
      return say(t("nothingToCheck"), "error");
    }
    publish("busy");
    return api("POST", "/api/v1/communities/" + state.community + "/grids/fix", edit).then(function (r) {
      if (r.status !== 200) { return showError(r); }
      showProposal(r.body);
    });
  }

  function showProposal(answer) {
    overlays.proposal.clearLayers();
    var box = say(answer.fixes.length ? t("fixes") : t("noFix"));
    var list = box.appendChild(el("ul", null, "fixes"));
    answer.fixes.forEach(function (f) {
      var area = f.area_m2 === null || f.area_m2 === undefined ? "" : Math.round(f.area_m2);
      var text = t("fix." + f.check, { grid: f.grid || "", other: f.other || "", area: area });
      list.appendChild(el("li", t("check." + f.check) + " " + (text === "fix." + f.check ? (f.grid || "") + ": " + f.message : text)));
    });
    if (answer.remaining.length) {
      box.appendChild(el("h3", t("remaining")));
      answer.remaining.forEach(function (p) { box.appendChild(el("p", describe(p), "error")); drawProblem(p); });
    }
    var parts = answer.proposal.changes.concat(answer.proposal.creates);
    parts.forEach(function (item) {
      overlays.proposal.addLayer(L.geoJSON(item.geometry, {
        style: function () { return { color: "#2e7d32", weight: 3, dashArray: "6 3", fillOpacity: 0.1 }; } }));
    });
    if (answer.fixes.length) { box.appendChild(button(t("adopt"), function () { adopt(answer.proposal); }, "adopt")); }
    publish("proposal");
  }

  function adopt(proposal) {
    proposal.changes.forEach(function (c) {
      state.layers[c.code].setLatLngs(L.GeoJSON.geometryToLayer({ type: "Feature", geometry: c.geometry }).getLatLngs());
      state.edited[c.code] = true;
    });
    proposal.creates.forEach(function (c) {
      var mine = state.creates.filter(function (x) { return x.code === c.code; })[0];
      if (mine) { mine.layer.setLatLngs(L.GeoJSON.geometryToLayer({ type: "Feature", geometry: c.geometry }).getLatLngs()); }
    });
    state.retires = proposal.retires.slice();
    overlays.proposal.clearLayers();
    restyle();
    describePending();
    say(t("adopted"));
    publish("adopted");
  }

  // ---- history and restore --------------------------------------------------------------------------------

  function showHistory() {
    if (!state.selected) { return say(t("needGrid"), "error"); }
    var code = state.selected;
    publish("busy");
    return api("GET", "/api/v1/grids/" + code + "/history").then(function (r) {
      if (r.status !== 200) { return showError(r); }
      var list = $("history-list");
      list.textContent = "";
      r.body.items.forEach(function (v) { list.appendChild(historyItem(code, v)); });
      $("history-panel").hidden = false;
      publish("history");
    });
  }

  function historyItem(code, v) {
    var item = el("li");
    item.dataset.version = v.version;
    item.appendChild(el("div", t("version") + " " + v.version + " · " + cst(v.at) + " · " + v.author +
                               (v.retired ? " · " + t("retiredVersion") : "")));
    item.appendChild(el("div", v.reason, "muted"));
    item.appendChild(button(t("view"), function () {
      overlays.history.clearLayers().addLayer(L.geoJSON(v.geometry, {
        style: function () { return { color: "#6a1b9a", weight: 3, dashArray: "2 4", fillOpacity: 0.1 }; } }));
    }));
    if (!v.retired && String(v.version) !== String(state.features[code].properties.version)) {
      item.appendChild(button(t("restore"), function () {
        state.op = { kind: "restore", grid: code, version: v.version };
        describePending();
        publish();
      }));
    }
    return item;
  }

  // ---- importing a file: upload, then poll the job until it is done or failed ------------------------------

  function upload(e) {
    e.preventDefault();
    var file = $("import-file").files[0];
    if (!file) { return importSay(t("needFile"), "error"); }
    var form = new FormData();
    form.append("file", file);
    if ($("import-crs").value) { form.append("crs", $("import-crs").value); }
    form.append("dry_run", $("import-dry").checked ? "true" : "false");
    if ($("reason").value.trim()) { form.append("reason", $("reason").value.trim()); }
    $("import-send").disabled = true;
    publish("busy");
    return fetch("/api/v1/layers/" + $("import-layer").value + "/import", {
      method: "POST", body: form, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf } })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (r) {
        if (r.status !== 202 && r.status !== 200) {
          $("import-send").disabled = false;
          var err = r.body.error || {};
          importSay(t("errorPrefix") + (err.message || r.status), "error");
          return publish(err.code || String(r.status));
        }
        return poll(r.body.id);
      }, function () { $("import-send").disabled = false; importSay(t("network"), "error"); });
  }

  function importSay(text, kind) {
    var box = $("import-result");
    box.textContent = "";
    box.appendChild(el("p", text, kind || "notice"));
    return box;
  }

  function poll(id) {
    return api("GET", "/api/v1/imports/" + id).then(function (r) {
      var job = r.body;
      if (r.status === 200 && job.status === "running") {
        importSay(t("importRunning", { stage: t("stage." + job.stage), processed: job.processed || 0,
                                       total: job.total || "?" }));
        return new Promise(function (resolve) { setTimeout(resolve, 700); }).then(function () { return poll(id); });
      }
      $("import-send").disabled = false;
      if (r.status !== 200) { return showError(r); }
      return job.status === "done" ? importDone(job) : importFailed(job);
    });
  }

  function importDone(job) {
    var result = job.result || {};
    var box = importSay(t(job.dry_run ? "importDryDone" : "importDone"), "ok");
    var counts = ["features", "inserted", "updated", "unchanged", "matched", "retired"].filter(function (k) {
      return result[k] !== undefined; }).map(function (k) { return t("count." + k) + " " + result[k]; });
    box.appendChild(el("p", counts.join(" · ")));
    if (result.impact) {
      Object.keys(result.impact).forEach(function (community) {
        box.appendChild(el("h3", t("impact") + " · " + community));
        box.appendChild(impactList(result.impact[community] || {}));
      });
    }
    publish(job.dry_run ? "import_checked" : "imported");
    if (!job.dry_run && state.community && job.layer === "grids") { return loadCommunity(state.community); }
  }

  function importFailed(job) {
    overlays.problems.clearLayers();
    var box = importSay(t("importFailed"), "error");
    var list = box.appendChild(el("ul", null, "problems"));
    job.problems.slice(0, 50).forEach(function (p) {
      var item = list.appendChild(el("li", (t("check." + p.check) !== "check." + p.check ? t("check." + p.check) : p.check) +
                                           " " + (p.id || "") + " " + p.message));
      if (p.where) {
        var geo = drawProblem(p);
        item.addEventListener("click", function () { map.fitBounds(geo.getBounds().pad(2)); });
      }
    });
    if (job.problem_count > 50) { box.appendChild(el("p", t("more", { n: job.problem_count - 50 }), "muted")); }
    var drawn = overlays.problems.getLayers();
    if (drawn.length) { map.fitBounds(L.featureGroup(drawn).getBounds().pad(0.5)); }
    publish("import_failed");
  }

  // ---- wiring ------------------------------------------------------------------------------------------------

  $("community").addEventListener("change", function (e) { if (e.target.value) { loadCommunity(e.target.value); } });
  $("edit").addEventListener("click", toggleEdit);
  $("split").addEventListener("click", startSplit);
  $("merge").addEventListener("click", startMerge);
  $("create").addEventListener("click", startCreate);
  $("history").addEventListener("click", showHistory);
  $("check").addEventListener("click", function () { run(true); });
  $("save").addEventListener("click", function () { run(false); });
  $("fix").addEventListener("click", proposeFix);
  $("discard").addEventListener("click", function () { if (state.community) { loadCommunity(state.community); } });
  $("new-code").addEventListener("input", describePending);
  $("import-form").addEventListener("submit", upload);

  // for people checking the page in the console and for the browser tests
  window.gisappPlanner = { map: map, state: state, select: selectGrid, community: chooseCommunity };
  loadCommunities().then(function () {
    var wanted = new URLSearchParams(location.search).get("community");
    return wanted ? chooseCommunity(wanted) : null;
  }).then(function () { publish(state.outcome || "ready"); });
})();
