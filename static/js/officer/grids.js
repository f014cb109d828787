// My grid and its neighbours on the map: mine outlined, theirs dashed; the view fitted to mine, my team noted.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, map = G.map, state = G.state;

  G.drawGrids = function (fc, code) {
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
    G.$("grid-name").textContent = state.grid ? state.grid.properties.name + " " + code : code;
    map.fitBounds((mine || geo).getBounds(), { padding: [10, 10] });
  };
}());
