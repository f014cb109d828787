// The result box under the tools: one message at a time, and an API refusal shown with its code.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, el = G.el;

  G.say = function (text, kind) {
    var box = $("result");
    box.textContent = "";
    box.appendChild(el("p", text, kind || "notice"));
    return box;
  };

  G.showError = function (r) {
    var err = (r.body && r.body.error) || {};
    G.say(t("errorPrefix") + (err.message || r.status), "error").dataset.code = err.code || String(r.status);
    G.publish(err.code || String(r.status));
  };
}());
