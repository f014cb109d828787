// The officer page's map (Leaflet): a first view of the county, fitted to the officer's grid once it is drawn.
(function () {
  "use strict";
  var G = window.GISAPP;

  G.map = L.map("map", { zoomControl: true }).setView([32.06, 118.83], 15);
}());
