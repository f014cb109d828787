// Split, merge, create: a line or polygon drawn with geoman becomes the pending split or a new grid.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, map = G.map, overlays = G.overlays, state = G.state;

  G.startSplit = function () {
    if (!state.selected) { return G.say(t("needGrid"), "error"); }
    G.say(t("splitHint"));
    map.pm.enableDraw("Line", { finishOn: "dblclick", templineStyle: { color: "#d32f2f" },
                                pathOptions: { color: "#d32f2f", dashArray: "4 4" } });
    state.drawing = "split";
  };

  G.startMerge = function () {
    var other = $("merge-with").value;
    if (!state.selected || !other) { return G.say(t("needGrid"), "error"); }
    state.op = { kind: "merge", grid: state.selected, with: other };
    state.layers[other].setStyle(G.gridStyle.edited);
    G.describePending();
    G.publish();
  };

  G.startCreate = function () {
    if (!state.community) { return G.say(t("needCommunity"), "error"); }
    G.say(t("createHint"));
    map.pm.enableDraw("Polygon", { pathOptions: { color: "#2e7d32", fillColor: "#c8e6c9", fillOpacity: 0.4 } });
    state.drawing = "create";
  };

  // the community's code and, in three digits, one more than the highest number of the grids drawn and created
  function suggestedCode() {
    var used = Object.keys(state.layers).concat(state.creates.map(function (c) { return c.code; }));
    var last = used.reduce(function (m, c) { return Math.max(m, parseInt(c.slice(12), 10) || 0); }, 0);
    return state.community + String(last + 1).padStart(3, "0");
  }

  map.on("pm:create", function (e) {
    var kind = state.drawing;
    state.drawing = null;
    if (kind === "split") {
      state.op = { kind: "split", grid: state.selected, line: e.layer.toGeoJSON(false).geometry };
      overlays.proposal.clearLayers().addLayer(e.layer);
    } else if (kind === "create") {
      var code = suggestedCode();
      state.creates.push({ code: code, layer: e.layer });
      $("new-code").value = code;
      $("new-name").value = "";
      $("create-form").hidden = false;
      e.layer.on("pm:edit", function () { G.describePending(); });
      state.op = null;
    } else {
      map.removeLayer(e.layer);
    }
    G.describePending();
    G.publish();
  });
}());
