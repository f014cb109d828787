// Joint-duty members on the map, from zoom 14, loaded for the view (/api/v1/dashboard/members?bbox=) and drawn on
// a canvas: colour by duty status, faded and dashed when the position is stale; the tooltip gives the name,
// status and position age.
(function () {
  "use strict";
  var G = window.GISAPP;
  var MIN_ZOOM = 14;
  var COLOURS = { on_duty: "#2e7d32", on_patrol: "#1e88e5", busy: "#ef8f00" };

  G.memberLayer = function (map) {
    var group = L.layerGroup();
    var byCode = {};
    var renderer = L.canvas({ padding: 0.5 });
    function marker(m) {
      var c = m.position.coordinates;
      var mk = L.circleMarker(G.display.toMap(c[0], c[1]), {
        renderer: renderer, member: m.member.code, radius: 6, weight: 2, color: "#fff", fillColor: COLOURS[m.duty_status] || "#555",
        fillOpacity: m.stale ? 0.4 : 1, dashArray: m.stale ? "2 2" : null });
      mk.bindTooltip(m.member.name + " · " + G.t("duty." + m.duty_status) + " · " + G.t("position.age") + " " +
                     G.age(m.position_age_s));
      return mk;
    }
    function remember(items) { items.forEach(function (m) { byCode[m.member.code] = m; }); return items; }
    // the members in a WGS84 bbox (also those the support panel shows), remembered by code
    function fetchBox(bbox) {
      return G.api("/api/v1/dashboard/members?bbox=" + bbox.map(function (v) { return v.toFixed(6); }).join(","))
        .then(function (r) { return remember(r.items); });
    }
    function load() {
      if (map.getZoom() < MIN_ZOOM || !map.hasLayer(group)) { group.clearLayers(); return Promise.resolve([]); }
      return fetchBox(G.display.bbox(map.getBounds().pad(0.3))).then(function (items) {
        group.clearLayers();
        items.forEach(function (m) { group.addLayer(marker(m)); });
        G.emit("layer-drawn", { name: "members", count: items.length });
        return items;
      }).catch(G.failed);
    }
    // a live position (the stream): the member moves on the map without a reload
    G.on("position", function (note) {
      var age = note.at ? Math.max(0, Math.round((Date.now() - new Date(note.at)) / 1000)) : null;
      var m = byCode[note.member] = {
        member: { code: note.member, name: note.name, team_code: note.team }, grid: { code: note.grid },
        duty_status: note.duty_status, position_age_s: age, stale: age === null || age > 900,
        position: note.lon === null ? null : { type: "Point", coordinates: [note.lon, note.lat] } };
      var gone = [];
      group.eachLayer(function (layer) { if (layer.options.member === note.member) { gone.push(layer); } });
      gone.forEach(function (layer) { group.removeLayer(layer); });
      if (m.position && m.duty_status !== "off_duty" && map.getZoom() >= MIN_ZOOM && map.hasLayer(group)) {
        group.addLayer(marker(m));
      }
      document.body.dataset.positions = String(Number(document.body.dataset.positions || 0) + 1);
    });
    map.on("moveend", load);
    map.on("overlayadd", load);
    return { layer: group, byCode: byCode, load: load, around: fetchBox };
  };
}());
