// The planner's map: Leaflet with leaflet-geoman (snapping, the page's language), overlay groups, grid styles.
(function () {
  "use strict";
  var G = window.GISAPP;

  var map = G.map = L.map("map", { zoomControl: true }).setView([32.06, 118.83], 13);
  map.pm.setLang(G.lang === "zh" ? "zh" : "en");
  map.pm.setGlobalOptions({ snappable: true, snapDistance: 8, allowSelfIntersection: true });
  G.overlays = { communities: L.layerGroup().addTo(map), grids: L.layerGroup().addTo(map),
                 problems: L.layerGroup().addTo(map), current: L.layerGroup().addTo(map),
                 proposal: L.layerGroup().addTo(map), history: L.layerGroup().addTo(map) };

  // a grid as it is, selected, or changed by the pending edit
  G.gridStyle = { base: { color: "#2e75b6", weight: 1.5, fillColor: "#deebf7", fillOpacity: 0.25 },
                  selected: { color: "#0b3d91", weight: 3, fillColor: "#9ecae1", fillOpacity: 0.45 },
                  edited: { color: "#e65100", weight: 2.5, fillColor: "#ffe0b2", fillOpacity: 0.4 } };
}());
