// The map: townships, communities or grids (GET /api/v1/layers/<layer>, the caller's area) shaded by the chosen
// figure in five equal steps from its lowest to its highest value, red for the worse end, green for the better;
// grey where the figure has no value. A feature's click opens its figures. No basemap unless one is configured.
(function () {
  "use strict";
  var G = window.GISAPP;
  var LAYER = { township: "townships", community: "communities", grid: "grids" };
  var COLOURS = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"];  // worse .. better
  var NONE = "#d9d9d9";
  var map = null, legend = null, drawn = null, shapes = {}, figures = {}, asked = "";

  function classes(values) {
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var step = (hi - lo) / COLOURS.length;
    return { lo: lo, hi: hi, step: step, index: function (v) {
      return step === 0 ? COLOURS.length - 1 : Math.min(COLOURS.length - 1, Math.floor((v - lo) / step)); } };
  }

  function colour(kpi, cls, value) {
    if (value === null || value === undefined) { return NONE; }
    var i = cls.index(value);
    return COLOURS[kpi.higher_is_better ? i : COLOURS.length - 1 - i];
  }

  function legendRows(kpi, cls) {
    var rows = [];
    if (cls) {
      var steps = cls.step === 0 ? [[cls.lo, cls.hi]] : COLOURS.map(function (_, i) {
        return [cls.lo + i * cls.step, i === COLOURS.length - 1 ? cls.hi : cls.lo + (i + 1) * cls.step];
      });
      steps.forEach(function (s) {
        var c = colour(kpi, cls, cls.step === 0 ? s[0] : s[0] + cls.step / 2);
        rows.push(G.el("li", {}, [G.el("span", { "class": "key swatch", "data-colour": c }),
          G.el("span", { text: G.fmt(kpi, s[0]) + (s[1] !== s[0] ? " – " + G.fmt(kpi, s[1]) : "") })]));
      });
    }
    rows.push(G.el("li", {}, [G.el("span", { "class": "key swatch", "data-colour": NONE }),
                              G.el("span", { text: G.t("eval.map.no_value") })]));
    return rows;
  }

  function drawLegend(kpi, cls) {
    var box = G.clear(legend.getContainer());
    box.appendChild(G.el("strong", { text: G.kpiName(kpi) + (G.unitOf(kpi) ? " (" + G.unitOf(kpi) + ")" : "") }));
    var list = G.el("ul", { id: "map-legend" }, legendRows(kpi, cls));
    box.appendChild(list);
    // colours through the CSSOM (the CSP allows no style attribute)
    list.querySelectorAll("[data-colour]").forEach(function (n) { n.style.background = n.dataset.colour; });
  }

  function paint() {
    if (!drawn || !figures[asked]) { return; }
    var kpi = G.kpis.filter(function (k) { return k.key === G.state.kpi; })[0] || G.kpis[0];
    var rows = figures[asked], values = [];
    Object.keys(rows).forEach(function (c) { var v = rows[c].kpis[kpi.key].value; if (v !== null) { values.push(v); } });
    var cls = values.length ? classes(values) : null, shaded = 0;
    drawn.eachLayer(function (layer) {
      var code = layer.feature.properties.code, row = rows[code], value = row ? row.kpis[kpi.key].value : null;
      if (value !== null && value !== undefined) { shaded += 1; }
      layer.setStyle({ fillColor: cls ? colour(kpi, cls, value) : NONE, fillOpacity: 0.75, color: "#555", weight: 1 });
      // an element, not a string: Leaflet would read a string as HTML, and names come from people
      layer.unbindTooltip().bindTooltip(G.el("span", { text: (layer.feature.properties.name || code) + ": " +
        G.fmt(kpi, value) + (G.unitOf(kpi) && value !== null ? " " + G.unitOf(kpi) : "") }), { sticky: true });
    });
    drawLegend(kpi, cls);
    G.publish("map", { level: G.state.level, kpi: kpi.key, features: drawn.getLayers().length, shaded: shaded });
  }

  function shapesOf(level) {
    if (!shapes[level]) {
      shapes[level] = G.api("/api/v1/layers/" + LAYER[level]).catch(function (e) { delete shapes[level]; throw e; });
    }
    return shapes[level];
  }

  function draw(level, fc) {
    if (drawn) { map.removeLayer(drawn); }
    drawn = L.geoJSON(fc, { coordsToLatLng: G.display.coordsToLatLng, style: { fillColor: NONE, weight: 1 },
      onEachFeature: function (f, layer) {
        layer.on("click", function () {
          G.emit("unit", { scope: level, code: f.properties.code, name: f.properties.name });
        });
      } }).addTo(map);
    var bounds = drawn.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { animate: false }); }
  }

  function load() {
    if (!map) { return; }
    var level = G.state.level, q = G.periodQuery(G.state, { scope: level, limit: 5000 });
    if (q === asked && drawn && drawn.level === level) { paint(); return; }
    asked = q;
    Promise.all([shapesOf(level), figures[q] ? null : G.api("/api/v1/evaluation?" + q)]).then(function (r) {
      if (r[1]) {
        figures[q] = {};
        r[1].rows.forEach(function (row) { figures[q][row.code] = row; });
      }
      if (q !== asked) { return; }
      if (!drawn || drawn.level !== level) { draw(level, r[0]); drawn.level = level; }
      paint();
    }).catch(G.failed);
  }

  G.choropleth = {
    start: function () {
      var box = document.getElementById("map");
      if (!box) { return; }  // a role that reads no map layers (the auditor)
      G.whenVisible(box, function () {
        map = G.map = L.map(box, { preferCanvas: true, attributionControl: !!G.config.basemap, minZoom: 8, maxZoom: 18 });
        map.setView([32.06, 118.83], 12);
        G.basemap(map);
        L.control.scale({ imperial: false }).addTo(map);
        legend = L.control({ position: "bottomright" });
        legend.onAdd = function () {
          var box = G.el("div", { "class": "legend leaflet-bar", id: "legend" });
          L.DomEvent.disableClickPropagation(box);
          return box;
        };
        legend.addTo(map);
        load();
      });
    },
    reload: load,
    repaint: paint
  };
}());
