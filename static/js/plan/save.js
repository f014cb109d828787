// Check and save: the pending change as its API call (If-Match the layout's ETag), sent as a preview or for real.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, overlays = G.overlays, state = G.state;

  // [method, url, body, headers] of the pending change; null when there is nothing to send
  function request(preview) {
    var reason = $("reason").value.trim() || (preview ? t("check") : "");
    var op = state.op;
    var head = { "If-Match": state.etag };
    if (op && op.kind === "split") {
      return ["POST", "/api/v1/grids/" + op.grid + "/split", { line: op.line, reason: reason, preview: preview }, head];
    }
    if (op && op.kind === "merge") {
      return ["POST", "/api/v1/grids/" + op.grid + "/merge", { with: op.with, reason: reason, preview: preview }, head];
    }
    if (op && op.kind === "restore") {
      return ["POST", "/api/v1/grids/" + op.grid + "/restore", { version: op.version, reason: reason, preview: preview }, head];
    }
    var body = Object.assign(G.layoutEdit(), { reason: reason, preview: preview });
    if (!body.changes.length && !body.creates.length && !body.retires.length) { return null; }
    return ["PUT", "/api/v1/communities/" + state.community + "/grids", body, head];
  }

  G.run = function (preview) {
    if (!state.community) { return G.say(t("needCommunity"), "error"); }
    if (!preview && !$("reason").value.trim()) { return G.say(t("needReason"), "error"); }
    var call = request(preview);
    if (!call) { return G.say(t("nothingToCheck"), "error"); }
    overlays.problems.clearLayers();
    G.publish("busy");
    return G.api.apply(null, call).then(function (r) {
      if (r.status === 200 && preview) { G.showValid(r.body.impact); }
      else if (r.status === 200) { saved(r); }
      else if (r.status === 422 && r.body.error.code === "topology_failed") { G.showProblems(r.body.error); }
      else if (r.status === 412) { G.conflict(r.body.error); }
      else { G.showError(r); }
    }, function () { G.say(t("network"), "error"); });
  };

  // the community reloaded at its new version, the selection kept, the impact shown
  function saved(r) {
    var impact = r.body.impact;
    var selected = state.selected;
    return G.loadCommunity(state.community).then(function () {
      $("reason").value = "";
      var box = G.say(t("saved") + " " + r.etag, "ok");
      box.appendChild(G.el("h3", t("impact")));
      box.appendChild(G.impactList(impact || {}));
      if (selected && state.layers[selected]) { G.selectGrid(selected); }
      G.publish("saved");
    });
  }
}());
