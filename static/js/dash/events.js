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
        var seen = {}, added = [], removed = [];
        events.forEach(function (e) {
          seen[e.id] = true;
          var c = e.location.coordinates, key = [e.status, G.eventState(e), e.level, e.priority, c].join("|");
          var m = markers[e.id];
          if (m && m.options.key === key) { return; }  // unchanged: the cluster keeps it
          if (m) { removed.push(m); }
          m = markers[e.id] = L.marker(G.display.toMap(c[0], c[1]), {
            icon: icon(e), title: "#" + e.id + " " + G.categoryName(e.category), state: G.eventState(e), key: key });
          m.on("click", function () { G.emit("select-event", e.id); });
          added.push(m);
        });
        Object.keys(markers).forEach(function (id) {
          if (!seen[id]) { removed.push(markers[id]); delete markers[id]; }
        });
        cluster.removeLayers(removed);  // in bulk: markercluster re-clusters once
        cluster.addLayers(added);
        document.body.dataset.events = String(events.length);
      }
    };
    return api;
  };
}());
