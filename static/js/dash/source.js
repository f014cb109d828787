// The layer source: features of a layer within a WGS84 bbox, from the bbox-filtered GeoJSON API.
// The one place that knows where features come from: vector tiles (/tiles/<layer>/{z}/{x}/{y}.mvt) replace it.
(function () {
  "use strict";
  var G = window.GISAPP;
  var pending = {};

  G.source = {
    // the declared layers (title, min_zoom, style)
    index: function () { return G.api("/api/v1/layers").then(function (r) { return r.items; }); },
    // a FeatureCollection; a newer request for the same layer cancels the older one (panning quickly)
    features: function (name, bbox) {
      if (pending[name]) { pending[name].abort(); }
      var ctrl = pending[name] = new AbortController();
      var url = "/api/v1/layers/" + encodeURIComponent(name) + (bbox ? "?bbox=" + bbox.map(function (v) {
        return v.toFixed(6); }).join(",") : "");
      return G.api(url, { signal: ctrl.signal }).finally(function () {
        if (pending[name] === ctrl) { delete pending[name]; }
      });
    }
  };
}());
