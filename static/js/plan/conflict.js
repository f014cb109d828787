// A version conflict (412): the edit is kept, the current layout drawn beside it, and the edit re-applied onto it.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, overlays = G.overlays, state = G.state;

  G.conflict = function (error) {
    return G.api("GET", "/api/v1/communities/" + state.community + "/grids").then(function (r) {
      state.latest = { etag: r.etag, features: r.body.features };
      overlays.current.clearLayers().addLayer(L.geoJSON(r.body, {
        style: function () { return { color: "#616161", weight: 2, dashArray: "5 5", fillOpacity: 0 }; },
        onEachFeature: function (f, layer) { layer.bindTooltip(t("current") + " · " + f.properties.code); }
      }));
      var box = G.say(t("stale"), "error");
      box.dataset.code = error.code;
      box.appendChild(G.button(t("reapply"), reapply, "reapply"));
      G.publish("stale_version");
    });
  };

  function reapply() {
    var latest = state.latest;
    latest.features.forEach(function (f) {
      var code = f.properties.code;
      var mine = state.layers[code];
      if (!mine) { state.features[code] = f; G.drawGrid(f); return; }
      state.features[code] = f;
      if (!state.edited[code]) {  // grids the planner did not touch take the current shape
        mine.setLatLngs(L.GeoJSON.geometryToLayer(f).getLatLngs());
      }
    });
    state.etag = latest.etag;
    state.latest = null;
    overlays.current.clearLayers();
    G.restyle();
    G.say(t("reapplied"));
    G.publish("reapplied");
  }
}());
