// The pending change: described in words beside the tools, and the layout edit (changes, creates, retires) it sends.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, state = G.state;

  G.describePending = function () {
    var parts = [];
    var op = state.op;
    if (op && op.kind === "split") { parts.push(t("splitOf") + " " + op.grid); }
    if (op && op.kind === "merge") { parts.push(t("mergeOf") + " " + op.with + " → " + op.grid); }
    if (op && op.kind === "restore") { parts.push(t("restoreOf") + " " + op.grid + " " + t("version") + " " + op.version); }
    if (!op) {
      Object.keys(state.edited).sort().forEach(function (c) { parts.push(t("changed") + " " + c); });
      state.creates.forEach(function (c) { parts.push(t("created") + " " + ($("new-code").value || c.code)); });
      state.retires.forEach(function (c) { parts.push(t("retired") + " " + c); });
    }
    $("pending").textContent = parts.length ? parts.join("；") : t("nothingPending");
  };

  G.layoutEdit = function () {
    var changes = Object.keys(state.edited).sort().map(function (code) {
      return { code: code, geometry: state.layers[code].toGeoJSON(false).geometry };
    });
    var creates = state.creates.map(function (c, i) {
      var last = i === state.creates.length - 1;
      return { code: last ? $("new-code").value.trim() : c.code,
               name: last ? $("new-name").value.trim() : c.name, geometry: c.layer.toGeoJSON(false).geometry };
    });
    if (state.creates.length) {  // the form edits the latest drawing's code and name
      var latest = state.creates[state.creates.length - 1];
      latest.code = creates[creates.length - 1].code;
      latest.name = creates[creates.length - 1].name;
    }
    return { changes: changes, creates: creates, retires: state.retires.slice() };
  };
}());
