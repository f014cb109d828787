// A grid's history: its versions listed (time in China Standard Time, author, reason), one viewed, one restored.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, el = G.el, overlays = G.overlays, state = G.state;

  G.showHistory = function () {
    if (!state.selected) { return G.say(t("needGrid"), "error"); }
    var code = state.selected;
    G.publish("busy");
    return G.api("GET", "/api/v1/grids/" + code + "/history").then(function (r) {
      if (r.status !== 200) { return G.showError(r); }
      var list = $("history-list");
      list.textContent = "";
      r.body.items.forEach(function (v) { list.appendChild(historyItem(code, v)); });
      $("history-panel").hidden = false;
      G.publish("history");
    });
  };

  function historyItem(code, v) {
    var item = el("li");
    item.dataset.version = v.version;
    item.appendChild(el("div", t("version") + " " + v.version + " · " + G.cst(v.at) + " · " + v.author +
                               (v.retired ? " · " + t("retiredVersion") : "")));
    item.appendChild(el("div", v.reason, "muted"));
    item.appendChild(G.button(t("view"), function () {
      overlays.history.clearLayers().addLayer(L.geoJSON(v.geometry, {
        style: function () { return { color: "#6a1b9a", weight: 3, dashArray: "2 4", fillOpacity: 0.1 }; } }));
    }));
    // any version but the current one and the retired ones can be restored: the restore becomes the pending change
    if (!v.retired && String(v.version) !== String(state.features[code].properties.version)) {
      item.appendChild(G.button(t("restore"), function () {
        state.op = { kind: "restore", grid: code, version: v.version };
        G.describePending();
        G.publish();
      }));
    }
    return item;
  }
}());
