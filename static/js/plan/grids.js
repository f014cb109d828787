// The community's grids on the map: drawn editable, styled (selected, edited), selected by a click, merge partners.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, el = G.el, map = G.map, overlays = G.overlays, state = G.state, style = G.gridStyle;

  G.drawGrid = function (feature) {
    var layer = L.GeoJSON.geometryToLayer(feature, { pmIgnore: false });
    var code = feature.properties.code;
    layer.setStyle(style.base);
    layer.bindTooltip(feature.properties.name + "<br>" + code, { sticky: true });
    layer.on("click", function (e) {
      if (map.pm.globalDrawModeEnabled()) { return; }  // the click is a point of the line or polygon drawn
      L.DomEvent.stopPropagation(e);
      G.selectGrid(code);
    });
    layer.on("pm:edit", function () { G.markEdited(code); });
    layer.on("pm:markerdragstart", function (e) { layer._dragOrigin = e.markerEvent.target.getLatLng().clone(); });
    layer.on("pm:markerdragend", function (e) { G.followSharedVertex(code, layer._dragOrigin, e.markerEvent.target.getLatLng()); });
    overlays.grids.addLayer(layer);
    state.layers[code] = layer;
  };

  G.restyle = function () {
    Object.keys(state.layers).forEach(function (code) {
      var s = code === state.selected ? style.selected : state.edited[code] ? style.edited : style.base;
      state.layers[code].setStyle(s);
    });
  };

  G.selectGrid = function (code) {
    state.selected = code;
    var p = state.features[code].properties;
    $("grid-title").textContent = p.name + " · " + code + " · " + t("version") + " " + p.version;
    $("grid-panel").hidden = false;
    $("edit").textContent = state.layers[code].pm.enabled() ? t("editing") : t("edit");
    G.fillMergeChoices();
    G.restyle();
    G.publish();
  };

  // the grids the selected one may merge with: those whose bounds meet its own (padded a little)
  G.fillMergeChoices = function () {
    var select = $("merge-with");
    select.textContent = "";
    select.appendChild(el("option", t("mergeWith"))).value = "";
    var mine = state.selected && state.layers[state.selected].getBounds().pad(0.05);
    Object.keys(state.layers).forEach(function (code) {
      if (code === state.selected || !mine || !mine.intersects(state.layers[code].getBounds())) { return; }
      select.appendChild(el("option", state.features[code].properties.name + " " + code)).value = code;
    });
  };
}());
