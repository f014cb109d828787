// Joint-duty members on the map (the duty board, /api/v1/duty): colour by duty status, faded when the position
// is stale; the tooltip gives the name, status and position age.
(function () {
  "use strict";
  var G = window.GISAPP;

  G.memberLayer = function (map) {
    var group = L.layerGroup();
    var byCode = {};
    function marker(m) {
      var c = m.position.coordinates;
      var cls = "mb mb-" + m.duty_status + (m.stale ? " mb-stale" : "");
      var mk = L.marker(G.display.toMap(c[0], c[1]), { icon: L.divIcon({ className: cls, iconSize: [14, 14] }),
                                                       keyboard: false });
      mk.bindTooltip(m.member.name + " · " + G.t("duty." + m.duty_status) + " · " + G.t("position.age") + " " +
                     G.age(m.position_age_s));
      return mk;
    }
    return {
      layer: group,
      byCode: byCode,
      load: function () {
        return G.api("/api/v1/duty").then(function (board) {
          group.clearLayers();
          Object.keys(byCode).forEach(function (k) { delete byCode[k]; });
          board.members.forEach(function (m) {
            byCode[m.member.code] = m;
            if (m.position) { group.addLayer(marker(m)); }
          });
          G.emit("duty", board);
          return board;
        });
      }
    };
  };
}());
