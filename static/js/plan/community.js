// The communities to choose from (list and map) and loading one community's grid layout, which starts a fresh edit.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, el = G.el, map = G.map, overlays = G.overlays, state = G.state;

  G.loadCommunities = function () {
    return G.api("GET", "/api/v1/layers/communities").then(function (r) {
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
            if (!map.pm.globalDrawModeEnabled() && !G.hasPending() && f.properties.code !== state.community) {
              G.chooseCommunity(f.properties.code);
            }
          });
        }
      }).addTo(overlays.communities);
      if (geo.getBounds().isValid()) { map.fitBounds(geo.getBounds(), { animate: false }); }
    });
  };

  G.chooseCommunity = function (code) {
    $("community").value = code;
    return G.loadCommunity(code);
  };

  G.loadCommunity = function (code) {
    G.publish("busy");
    return G.api("GET", "/api/v1/communities/" + code + "/grids").then(function (r) {
      if (r.status !== 200) { return G.showError(r); }
      resetEdit();
      state.community = code;
      state.etag = r.etag;
      r.body.features.forEach(function (f) { state.features[f.properties.code] = f; G.drawGrid(f); });
      var bounds = L.featureGroup(Object.values(state.layers)).getBounds();
      // not animated: a fit asked for during another one's zoom animation would be dropped by Leaflet
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], animate: false }); }
      $("layout").textContent = t("layoutVersion") + " " + r.etag.replace(/"/g, "") + " · " + r.body.features.length + " " + t("grids");
      G.fillMergeChoices();
      G.publish("loaded");
    });
  };

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
    G.describePending();
  }
}());
