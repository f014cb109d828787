// The basemap: none by default (the jurisdiction's layers on a plain background); an XYZ or WMTS (KVP) tile URL
// from the settings otherwise. GCJ-02 tiles stay as they are: the overlays are shifted instead (coords.js).
(function () {
  "use strict";
  var G = window.GISAPP;

  G.basemap = function (map) {
    var cfg = G.config.basemap;
    if (!cfg || !cfg.url) { return null; }
    var options = { maxZoom: 18, attribution: cfg.attribution || "" };
    if (cfg.subdomains) { options.subdomains = cfg.subdomains; }
    var layer = L.tileLayer(cfg.url, options);
    layer.on("tileerror", function () { document.body.dataset.basemapErrors = "1"; });
    layer.addTo(map);
    return layer;
  };
}());
