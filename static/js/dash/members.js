// Joint-duty members on the map (the duty board, /api/v1/duty), from zoom 14 on the shared canvas: colour by duty
// status, faded and dashed when the position is stale; the tooltip gives the name, status and position age.
(function () {
  "use strict";
  var G = window.GISAPP;
  var MIN_ZOOM = 14;
  var COLOURS = { on_duty: "#2e7d32", on_patrol: "#1e88e5", busy: "#ef8f00", off_duty: "#9e9e9e" };

  G.memberLayer = function (map) {
    var group = L.layerGroup();
    var byCode = {};
    var renderer = L.canvas({ padding: 0.5 });
    function marker(m) {
      var c = m.position.coordinates;
      var mk = L.circleMarker(G.display.toMap(c[0], c[1]), {
        renderer: renderer, radius: 6, weight: 2, color: "#fff", fillColor: COLOURS[m.duty_status] || "#555",
        fillOpacity: m.stale ? 0.4 : 1, dashArray: m.stale ? "2 2" : null });
      mk.bindTooltip(m.member.name + " · " + G.t("duty." + m.duty_status) + " · " + G.t("position.age") + " " +
                     G.age(m.position_age_s));
      return mk;
    }
    function draw() {
      group.clearLayers();
      if (map.getZoom() < MIN_ZOOM) { return; }
      var view = map.getBounds().pad(0.3);
      Object.keys(byCode).forEach(function (code) {
        var m = byCode[code];
        if (!m.position || m.duty_status === "off_duty") { return; }  // off duty: not part of the picture
        var c = m.position.coordinates, at = G.display.toMap(c[0], c[1]);
        if (view.contains(at)) { group.addLayer(marker(m)); }
      });
    }
    map.on("moveend", draw);
    return {
      layer: group,
      byCode: byCode,
      load: function () {
        return G.api("/api/v1/duty").then(function (board) {
          Object.keys(byCode).forEach(function (k) { delete byCode[k]; });
          board.members.forEach(function (m) { byCode[m.member.code] = m; });
          draw();
          G.emit("duty", board);
          return board;
        });
      }
    };
  };
}());
