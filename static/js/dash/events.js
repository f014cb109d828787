// Open events on the map, clustered (leaflet.markercluster) and coloured: fill by status, ring by supervision
// (warned amber, overdue red), a square for level 2, "!" when urgent. A cluster takes its worst member's ring.
(function () {
  "use strict";
  var G = window.GISAPP;
  var RANK = { overdue: 2, warned: 1 };

  G.eventState = function (e) { return e.overdue ? "overdue" : (e.supervision === "warned" ? "warned" : "on_time"); };

  function icon(e) {
    var cls = "ev ev-" + e.status + " sv-" + G.eventState(e) + (e.level === 2 ? " ev-l2" : "") +
              (e.priority === "urgent" ? " ev-urgent" : "");
    return L.divIcon({ className: cls, html: e.priority === "urgent" ? "!" : "", iconSize: [20, 20] });
  }

  function clusterIcon(cluster) {
    var worst = 0;
    cluster.getAllChildMarkers().forEach(function (m) { worst = Math.max(worst, RANK[m.options.state] || 0); });
    var name = ["on_time", "warned", "overdue"][worst];
    return L.divIcon({ html: "<span>" + cluster.getChildCount() + "</span>", className: "ev-cluster sv-" + name,
                       iconSize: [36, 36] });
  }

  G.eventLayer = function (map) {
    var cluster = L.markerClusterGroup({ maxClusterRadius: 45, iconCreateFunction: clusterIcon, chunkedLoading: true,
                                         showCoverageOnHover: false });
    var markers = G.eventMarkers = {};
    var api = {
      layer: cluster,
      markers: markers,
      // replace the drawn events by this list (the queue): markers kept, moved, restyled or removed
      set: function (events) {
        var seen = {};
        events.forEach(function (e) {
          seen[e.id] = true;
          var c = e.location.coordinates, at = G.display.toMap(c[0], c[1]), m = markers[e.id];
          if (m) { cluster.removeLayer(m); }
          m = markers[e.id] = L.marker(at, { icon: icon(e), title: "#" + e.id + " " + e.category.name,
                                             state: G.eventState(e), keyboard: true });
          m.on("click", function () { G.emit("select-event", e.id); });
          cluster.addLayer(m);
        });
        Object.keys(markers).forEach(function (id) {
          if (!seen[id]) { cluster.removeLayer(markers[id]); delete markers[id]; }
        });
        document.body.dataset.events = String(events.length);
      }
    };
    return api;
  };
}());
