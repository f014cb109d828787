// Live updates: the server-sent event stream (/api/v1/stream) of the steps of the events the user may see.
// EventSource reconnects by itself and resumes with Last-Event-ID; each message is re-emitted as "live".
(function () {
  "use strict";
  var G = window.GISAPP;
  var TYPES = ["created", "supervise", "accept", "void", "dispatch", "acknowledge", "arrive", "handle", "verify",
               "close", "return", "request_extension", "approve_extension", "refuse_extension", "park", "restore",
               "send_back", "escalate", "request_support", "confirm_support", "merge"];

  G.live = function () {
    var state = document.getElementById("live-state");
    var source = new EventSource("/api/v1/stream");
    var heard = 0;
    source.onopen = function () { state.dataset.state = "open"; state.title = G.t("live.open"); };
    source.onerror = function () { state.dataset.state = "retrying"; state.title = G.t("live.retrying"); };
    TYPES.forEach(function (type) {
      source.addEventListener(type, function (message) {
        var note = JSON.parse(message.data);
        heard += 1;
        document.body.dataset.live = String(heard);
        if (type === "created") { G.toast(G.t("live.created") + " #" + note.event_id); }
        G.emit("live", note);
      });
    });
    // a member's duty report: its status and position now (no id: nothing to catch up on)
    source.addEventListener("position", function (message) { G.emit("position", JSON.parse(message.data)); });
    // leaving the page closes the stream at once: an open one would hold one of the browser's six connections to
    // the app until the server next writes to it
    window.addEventListener("pagehide", function () { source.close(); });
    return source;
  };
}());
