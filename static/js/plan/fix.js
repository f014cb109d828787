// Proposed fixes: the server's repair of the pending layout edit, drawn and listed, adopted into the edit on request.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, el = G.el, overlays = G.overlays, state = G.state;

  G.proposeFix = function () {
    if (!state.community) { return G.say(t("needCommunity"), "error"); }
    var edit = G.layoutEdit();
    if (state.op || (!edit.changes.length && !edit.creates.length && !edit.retires.length)) {
      return G.say(t("nothingToCheck"), "error");
    }
    G.publish("busy");
    return G.api("POST", "/api/v1/communities/" + state.community + "/grids/fix", edit).then(function (r) {
      if (r.status !== 200) { return G.showError(r); }
      showProposal(r.body);
    });
  };

  function showProposal(answer) {
    overlays.proposal.clearLayers();
    var box = G.say(answer.fixes.length ? t("fixes") : t("noFix"));
    var list = box.appendChild(el("ul", null, "fixes"));
    answer.fixes.forEach(function (f) {
      var area = f.area_m2 === null || f.area_m2 === undefined ? "" : Math.round(f.area_m2);
      var text = t("fix." + f.check, { grid: f.grid || "", other: f.other || "", area: area });
      list.appendChild(el("li", t("check." + f.check) + " " + (text === "fix." + f.check ? (f.grid || "") + ": " + f.message : text)));
    });
    if (answer.remaining.length) {
      box.appendChild(el("h3", t("remaining")));
      answer.remaining.forEach(function (p) { box.appendChild(el("p", G.describeProblem(p), "error")); G.drawProblem(p); });
    }
    var parts = answer.proposal.changes.concat(answer.proposal.creates);
    parts.forEach(function (item) {
      overlays.proposal.addLayer(L.geoJSON(item.geometry, {
        style: function () { return { color: "#2e7d32", weight: 3, dashArray: "6 3", fillOpacity: 0.1 }; } }));
    });
    if (answer.fixes.length) { box.appendChild(G.button(t("adopt"), function () { adopt(answer.proposal); }, "adopt")); }
    G.publish("proposal");
  }

  function adopt(proposal) {
    proposal.changes.forEach(function (c) {
      state.layers[c.code].setLatLngs(L.GeoJSON.geometryToLayer({ type: "Feature", geometry: c.geometry }).getLatLngs());
      state.edited[c.code] = true;
    });
    proposal.creates.forEach(function (c) {
      var mine = state.creates.filter(function (x) { return x.code === c.code; })[0];
      if (mine) { mine.layer.setLatLngs(L.GeoJSON.geometryToLayer({ type: "Feature", geometry: c.geometry }).getLatLngs()); }
    });
    state.retires = proposal.retires.slice();
    overlays.proposal.clearLayers();
    G.restyle();
    G.describePending();
    G.say(t("adopted"));
    G.publish("adopted");
  }
}());
