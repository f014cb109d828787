// A report by tapping the map: the point picked, the form sent, then its photo uploaded to the new event.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, el = G.el, map = G.map, state = G.state;

  // one report, one key: a retry of the same report is not a second event
  G.startReporting = function () {
    state.reporting = true;
    state.ref = G.uuid();
    $("map").classList.add("picking");
    G.say(t("reportHint"));
  };

  G.pick = function (latlng) {
    if (!state.reporting) { return; }
    state.pick = latlng;
    if (state.pickMarker) { state.pickMarker.setLatLng(latlng); }
    else {
      state.pickMarker = L.circleMarker(latlng, { radius: 9, color: "#b71c1c", weight: 3, fillColor: "#ef5350",
                                                  fillOpacity: 0.8 }).addTo(map);
    }
    $("report-where").textContent = t("at") + ": " + latlng.lng.toFixed(6) + ", " + latlng.lat.toFixed(6);
    $("report-form").hidden = false;
    G.publish("picked");
  };

  G.stopReporting = function () {
    state.reporting = false;
    state.pick = null;
    if (state.pickMarker) { map.removeLayer(state.pickMarker); state.pickMarker = null; }
    $("report-form").hidden = true;
    $("map").classList.remove("picking");
  };

  G.sendReport = function (e) {
    e.preventDefault();
    if (!state.pick) { return; }
    var body = { category: $("category").value, description: $("description").value.trim(), channel: "patrol",
                 location: { type: "Point", coordinates: [state.pick.lng, state.pick.lat] }, client_ref: state.ref };
    if (!body.description) { delete body.description; }
    $("report-send").disabled = true;
    G.publish("busy");
    var network = function () { $("report-send").disabled = false; G.say(t("network"), "error"); };
    return G.api("POST", "/api/v1/events", body).then(function (r) {
      if (r.status !== 201 && r.status !== 200) { $("report-send").disabled = false; return G.failed(r); }
      var file = $("photo").files[0];
      if (!file) { return reported(r.body.id, "reported"); }
      return uploadPhoto(r.body.id, file).then(function (p) {
        if (p.status !== 201 && p.status !== 200) { return photoFailed(r.body.id, p); }
        return reported(r.body.id, "photoSent");
      }, network);
    }, network);
  };

  // a photo goes to its event as multipart (the browser sets the boundary); the server reads its type from the bytes
  function uploadPhoto(eventId, file) {
    var form = new FormData();
    form.append("file", file);
    return fetch("/api/v1/events/" + eventId + "/photos", { method: "POST", credentials: "same-origin", body: form,
      headers: { "Accept": "application/json", "X-CSRF-Token": G.csrf } }).then(G.answer);
  }

  function reported(id, message) {
    $("report-send").disabled = false;
    G.stopReporting();
    $("description").value = "";
    $("photo").value = "";
    G.say(t(message, { id: id }), "ok");
    G.publish("reported:" + id);
    return G.loadTasks();
  }

  // the event exists; the form stays with its key, so sending again answers the same event and retries the photo
  function photoFailed(id, p) {
    var err = (p.body && p.body.error) || {};
    $("report-send").disabled = false;
    G.say(t("photoFailed", { id: id, m: err.message || p.status }), "error");
    G.publish(err.code || String(p.status));
  }

  // the report form's categories, named in the page's language
  G.loadCategories = function () {
    return G.api("GET", "/api/v1/categories").then(function (r) {
      var select = $("category");
      (r.body.items || []).forEach(function (c) {
        var option = el("option", (G.lang === "en" && c.name_en ? c.name_en : c.name));
        option.value = c.code;
        select.appendChild(option);
      });
    });
  };
}());
