// The jurisdiction's layers, each loaded for the view's bbox from its declared min_zoom (layers/*.toml) and drawn
// on one canvas: townships and communities at low zoom, grids (shaded by open and overdue events) from theirs.
(function () {
  "use strict";
  var G = window.GISAPP;
  var PAD = 0.3;  // load a margin of 30 % of the view around it: small pans need no request

  // grid shading: overdue events red, open events amber (darker with more), none the declared style
  function gridStyle(base) {
    return function (feature) {
      var load = (G.gridLoad || {})[feature.properties.code];
      if (!load) { return base; }
      if (load[1] > 0) { return Object.assign({}, base, { fillColor: "#d7301f", fillOpacity: 0.55, color: "#b30000" }); }
      return Object.assign({}, base, { fillColor: "#fdae61", fillOpacity: Math.min(0.25 + 0.1 * load[0], 0.6) });
    };
  }

  var STYLES = {
    grids: gridStyle,
    "coverage-gaps": function (base) { return function () { return Object.assign({}, base, { dashArray: "6 4" }); }; },
    cameras: function (base) {
      return function (f) {
        return f.properties.online ? base : Object.assign({}, base, { color: "#555", fillColor: "#9e9e9e" });
      };
    }
  };

  function describe(name, props) {
    var rows = [G.el("strong", { text: props.name || props.code || props.device_id || "" }),
                G.el("div", { "class": "muted", text: G.t("layer." + name) + " · " + (props.code || props.device_id || "") })];
    if (props.team) {
      rows.push(G.el("div", { text: G.t("team") + ": " + props.team.name + " (" + G.t("onDuty") + " " +
                                     props.team.on_duty + "/" + props.team.members + ")" }));
    }
    if (name === "grids") {
      var load = (G.gridLoad || {})[props.code] || [0, 0];
      rows.push(G.el("div", { text: G.t("grid.open") + " " + load[0] + " · " + G.t("grid.overdue") + " " + load[1] }));
    }
    if (name === "cameras") { rows.push(G.el("div", { text: G.t(props.online ? "camera.online" : "camera.offline") })); }
    if (props.gap_m !== undefined) { rows.push(G.el("div", { text: G.t("gap.length") + " " + G.distance(props.gap_m) })); }
    if (props.risk_level !== undefined) { rows.push(G.el("div", { text: G.t("risk") + " " + props.risk_level })); }
    return G.el("div", { "class": "feature-info" }, rows);
  }

  function BboxLayer(map, decl, renderer) {
    this.map = map; this.decl = decl; this.renderer = renderer;
    this.group = L.layerGroup(); this.loaded = null; this.geo = null; this.count = 0;
    var base = decl.style || {};
    this.style = (STYLES[decl.name] || function (b) { return function () { return b; }; })(base);
  }

  // whether the view needs features this layer has not loaded
  BboxLayer.prototype.wants = function () {
    var map = this.map;
    return map.hasLayer(this.group) && map.getZoom() >= (this.decl.min_zoom || 0) &&
      !(this.loaded && this.loaded.contains(map.getBounds()));
  };

  // load and draw what the view needs; a promise settled when done (at once when nothing is needed)
  BboxLayer.prototype.update = function () {
    var map = this.map, self = this;
    if (map.hasLayer(this.group) && map.getZoom() < (this.decl.min_zoom || 0)) {  // below its zoom: nothing drawn
      this.group.clearLayers(); this.loaded = null; this.geo = null; this.count = 0;
    }
    if (!this.wants()) { return Promise.resolve(); }
    if (this.inflight && this.inflight.bounds.contains(map.getBounds())) { return this.inflight.promise; }
    var wanted = map.getBounds().pad(PAD);
    var promise = G.source.features(this.decl.name, G.display.bbox(wanted)).then(function (fc) {
      self.draw(fc, wanted);
    }).catch(function (err) { if (err && err.name !== "AbortError") { G.failed(err); } }).finally(function () {
      if (self.inflight && self.inflight.promise === promise) { self.inflight = null; }
    });
    this.inflight = { bounds: wanted, promise: promise };
    return promise;
  };

  BboxLayer.prototype.draw = function (fc, bounds) {
    var name = this.decl.name, style = this.style, renderer = this.renderer, radius = (this.decl.style || {}).radius || 5;
    var geo = L.geoJSON(fc, {
      renderer: renderer, style: style, coordsToLatLng: G.display.coordsToLatLng,
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({ renderer: renderer, radius: radius }, style(f)));
      },
      onEachFeature: function (f, layer) { layer.bindPopup(function () { return describe(name, f.properties); }); }
    });
    this.group.clearLayers();
    this.group.addLayer(geo);
    this.geo = geo; this.loaded = bounds; this.count = fc.features.length;
    G.emit("layer-drawn", { name: name, count: this.count });
  };

  BboxLayer.prototype.restyle = function () { if (this.geo) { this.geo.setStyle(this.style); } };

  // build the layers of the index; returns {name: BboxLayer}
  G.areas = function (map, decls) {
    var renderer = L.canvas({ padding: PAD });
    var layers = {};
    decls.forEach(function (decl) { layers[decl.name] = new BboxLayer(map, decl, renderer); });
    // the grids first: on a large county they are the heaviest request and what the user waits for; the
    // other layers follow once they are drawn, rather than share the server's cores with them
    var update = function () {
      var others = function () {
        return Promise.all(Object.keys(layers).filter(function (k) { return k !== "grids"; })
          .map(function (k) { return layers[k].update(); }));
      };
      return layers.grids && layers.grids.wants() ? layers.grids.update().then(others) : others();
    };
    map.on("moveend", update);
    map.on("overlayadd", update);
    return { layers: layers, update: update };
  };
}());
