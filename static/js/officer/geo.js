// Where am I relative to my grid: inside it or not, and the distance to its nearest edge in metres.
// Even-odd ray casting over every ring; the distance on a local equirectangular projection around the point (exact
// enough over a grid's few hundred metres; a point exactly on an edge counts as inside at distance 0).
(function () {
  "use strict";
  var G = window.GISAPP;
  var EARTH_M = 6371008.8;

  function polygons(geometry) {
    if (geometry.type === "Polygon") { return [geometry.coordinates]; }
    if (geometry.type === "MultiPolygon") { return geometry.coordinates; }
    return [];
  }

  // ring: [[lon, lat], ...]; true when a ray from the point to the east crosses the ring an odd number of times
  function crossesOdd(ring, lon, lat) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      var a = ring[i], b = ring[j];
      if ((a[1] > lat) !== (b[1] > lat) && lon < (b[0] - a[0]) * (lat - a[1]) / (b[1] - a[1]) + a[0]) {
        inside = !inside;
      }
    }
    return inside;
  }

  function contains(geometry, lon, lat) {
    return polygons(geometry).some(function (rings) {
      return crossesOdd(rings[0], lon, lat) && !rings.slice(1).some(function (hole) { return crossesOdd(hole, lon, lat); });
    });
  }

  // metres east and north of (lon0, lat0)
  function project(lon0, lat0) {
    var kx = Math.cos(lat0 * Math.PI / 180) * Math.PI / 180 * EARTH_M, ky = Math.PI / 180 * EARTH_M;
    return function (c) { return [(c[0] - lon0) * kx, (c[1] - lat0) * ky]; };
  }

  function segmentDistance(p, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1];
    var len2 = dx * dx + dy * dy;
    var s = len2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
    return Math.hypot(p[0] - a[0] - s * dx, p[1] - a[1] - s * dy);
  }

  function distanceToEdge(geometry, lon, lat) {
    var toM = project(lon, lat), best = Infinity;
    polygons(geometry).forEach(function (rings) {
      rings.forEach(function (ring) {
        for (var i = 1; i < ring.length; i += 1) {
          best = Math.min(best, segmentDistance([0, 0], toM(ring[i - 1]), toM(ring[i])));
        }
      });
    });
    return best;
  }

  // also window.gisappGeo, as before: the browser tests call it on edge cases
  G.geo = window.gisappGeo = {
    contains: contains,
    distanceToEdge: distanceToEdge,
    where: function (geometry, lon, lat) {
      var d = distanceToEdge(geometry, lon, lat);
      return { inside: d < 0.01 || contains(geometry, lon, lat), distance_m: d };
    }
  };
}());
