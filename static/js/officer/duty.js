// My duty status: reported with my position, the server's answer shown (and whether it finds me inside my grid).
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, state = G.state;

  G.reportDuty = function (status) {
    var body = { duty_status: status };
    if (state.position) { body.position = state.position; }
    G.publish("busy");
    return G.api("POST", "/api/v1/members/me/status", body).then(function (r) {
      if (r.status !== 200) { return G.failed(r); }
      state.duty = r.body.duty_status;
      var text = t("dutyNow", { s: t("duty." + r.body.duty_status) });
      if (r.body.inside_own_grid !== null && r.body.inside_own_grid !== undefined) {
        text += " " + t(r.body.inside_own_grid ? "serverInside" : "serverOutside");
      }
      G.$("duty-state").textContent = text;
      document.querySelectorAll(".duty button").forEach(function (b) {
        b.classList.toggle("active", b.dataset.status === state.duty);
      });
      G.publish("duty");
    }, function () { G.say(t("network"), "error"); });
  };
}());
