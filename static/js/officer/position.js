// Where I am: the browser's geolocation watched, drawn with its accuracy, and said inside or outside my grid.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, map = G.map, state = G.state;

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
    var where = G.geo.where(state.grid.geometry, lon, lat);
    state.where = { inside: where.inside, distance_m: Math.round(where.distance_m) };
    var text = t(where.inside ? "inside" : "outside", { d: Math.round(where.distance_m) });
    if (pos.coords.accuracy) { text += "（" + t("accuracy", { d: Math.round(pos.coords.accuracy) }) + "）"; }
    $("position").textContent = text;
    $("where").className = "where " + (where.inside ? "inside" : "outside");
    G.publish();
  }

  G.locate = function () {
    if (!navigator.geolocation) { $("position").textContent = t("noLocation"); return; }
    navigator.geolocation.watchPosition(located, function () { $("position").textContent = t("noLocation"); },
                                        { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  };
}());
