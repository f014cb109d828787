// Coordinates: WGS84 <-> GCJ-02 <-> BD-09 (the published formulas, as gisapp/spatial/crs.py), and the map's
// display datum: overlays are stored in WGS84 and shifted to GCJ-02 when the basemap is a GCJ-02 one.
(function () {
  "use strict";
  var G = window.GISAPP;
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI, XPI = PI * 3000.0 / 180.0;

  function inChina(lon, lat) { return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271; }
  function seriesLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    return r + (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
  }
  function seriesLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    return r + (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
  }
  function toGcj(lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    var dLat = seriesLat(lon - 105, lat - 35), dLon = seriesLon(lon - 105, lat - 35);
    var rad = lat / 180 * PI, magic = 1 - EE * Math.pow(Math.sin(rad), 2), sq = Math.sqrt(magic);
    dLat = dLat * 180 / ((A * (1 - EE)) / (magic * sq) * PI);
    dLon = dLon * 180 / (A / sq * Math.cos(rad) * PI);
    return [lon + dLon, lat + dLat];
  }
  function fromGcj(lon, lat) {  // iterate the forward transform to ~1e-9 degrees
    var x = lon, y = lat;
    for (var i = 0; i < 30; i++) {
      var f = toGcj(x, y), dx = f[0] - lon, dy = f[1] - lat;
      if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) { break; }
      x -= dx; y -= dy;
    }
    return [x, y];
  }
  function gcjToBd(lon, lat) {
    var z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * XPI);
    var th = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * XPI);
    return [z * Math.cos(th) + 0.0065, z * Math.sin(th) + 0.006];
  }
  function bdToGcj(lon, lat) {
    var x = lon - 0.0065, y = lat - 0.006;
    var z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * XPI);
    var th = Math.atan2(y, x) - 0.000003 * Math.cos(x * XPI);
    return [z * Math.cos(th), z * Math.sin(th)];
  }

  G.coords = {
    wgsToGcj: toGcj, gcjToWgs: fromGcj,
    wgsToBd: function (lon, lat) { var g = toGcj(lon, lat); return gcjToBd(g[0], g[1]); },
    bdToWgs: function (lon, lat) { var g = bdToGcj(lon, lat); return fromGcj(g[0], g[1]); }
  };

  // the map shows GCJ-02 only when its basemap is in GCJ-02 (Amap, Tencent); else WGS84 = CGCS2000
  var basemap = G.config.basemap;
  var gcj = !!(basemap && /^GCJ/i.test((basemap.crs || "").replace(/[-_ ]/g, "")));
  G.display = {
    datum: gcj ? "GCJ-02" : "WGS84",
    toMap: function (lon, lat) { var p = gcj ? toGcj(lon, lat) : [lon, lat]; return L.latLng(p[1], p[0]); },
    fromMap: function (latlng) { return gcj ? fromGcj(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat]; },
    // GeoJSON in WGS84 onto the map (L.geoJSON's coordsToLatLng option)
    coordsToLatLng: function (c) { return G.display.toMap(c[0], c[1]); },
    // the WGS84 bbox the API filters on, from the map's bounds
    bbox: function (bounds) {
      var sw = G.display.fromMap(bounds.getSouthWest()), ne = G.display.fromMap(bounds.getNorthEast());
      return [sw[0], sw[1], ne[0], ne[1]];
    }
  };
}());
