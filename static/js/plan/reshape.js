// Reshaping a grid with geoman: the edit toggle, edited grids marked, a shared vertex moved in the neighbours.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, overlays = G.overlays, state = G.state;

  // a reshape replaces a pending split, merge or restore
  G.markEdited = function (code) {
    if (state.op) { state.op = null; overlays.proposal.clearLayers(); }
    state.edited[code] = true;
    G.restyle();
    G.describePending();
    G.publish();
  };

  function sameSpot(a, b) { return Math.abs(a.lat - b.lat) < 1e-9 && Math.abs(a.lng - b.lng) < 1e-9; }

  function moveVertex(latlngs, from, to) {
    var moved = false;
    for (var i = 0; i < latlngs.length; i += 1) {
      if (Array.isArray(latlngs[i])) { moved = moveVertex(latlngs[i], from, to) || moved; }
      else if (sameSpot(latlngs[i], from)) { latlngs[i] = L.latLng(to.lat, to.lng); moved = true; }
    }
    return moved;
  }

  // a vertex the dragged grid shares with a neighbour moves in the neighbour too: the shared boundary moves
  G.followSharedVertex = function (code, from, to) {
    if (!$("linked").checked || !from || sameSpot(from, to)) { return; }
    Object.keys(state.layers).forEach(function (other) {
      if (other === code) { return; }
      var layer = state.layers[other];
      var latlngs = layer.getLatLngs();
      if (!moveVertex(latlngs, from, to)) { return; }
      var editing = layer.pm.enabled();
      if (editing) { layer.pm.disable(); }
      layer.setLatLngs(latlngs);
      if (editing) { layer.pm.enable(); }
      G.markEdited(other);
    });
  };

  G.toggleEdit = function () {
    if (!state.selected) { return G.say(t("needGrid"), "error"); }
    var layer = state.layers[state.selected];
    // the linked move keeps shared vertices together; snapping would pull a dragged one back onto its old place
    if (layer.pm.enabled()) { layer.pm.disable(); } else { layer.pm.enable({ snappable: !$("linked").checked }); }
    $("edit").textContent = layer.pm.enabled() ? t("editing") : t("edit");
  };
}());
