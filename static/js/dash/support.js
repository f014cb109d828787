// Support (6.2.3.2): the members proposed from the adjacent grids, on the map with a line to the event and their
// distance, and in the panel with a tick each; the center confirms the ticked ones or all of them.
(function () {
  "use strict";
  var G = window.GISAPP;
  var drawn = null;

  function clearMap() { if (drawn) { drawn.remove(); drawn = null; } }

  function drawCandidates(event, items) {
    clearMap();
    var c = event.location.coordinates, at = G.display.toMap(c[0], c[1]);
    drawn = L.layerGroup().addTo(G.map);
    var points = [at];
    items.forEach(function (item, i) {
      var seen = (G.members && G.members.byCode[item.member.code]) || {};
      if (!seen.position) { return; }
      var p = seen.position.coordinates, where = G.display.toMap(p[0], p[1]);
      points.push(where);
      L.polyline([where, at], { color: "#6a1b9a", weight: 2, dashArray: "4 4", interactive: false }).addTo(drawn);
      L.circleMarker(where, { radius: 8, color: "#6a1b9a", fillColor: "#ce93d8", fillOpacity: 0.9, weight: 2 })
        .bindTooltip(item.member.name + " · " + G.distance(item.distance_m), { permanent: true, direction: i % 2 ? "left" : "right",
                                                                               className: "candidate-tip" })
        .addTo(drawn);
    });
    if (points.length > 1) { G.map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 17 }); }
  }

  function chosen(box) {
    return Array.prototype.map.call(box.querySelectorAll("input[type=checkbox]:checked"), function (i) { return i.value; });
  }

  function renderList(event, items, act) {
    var box = G.clear(document.getElementById("support"));
    box.appendChild(G.el("h3", { text: G.t("support.title") + " (" + G.t("detail.support_requested") + " " +
                                      event.support_requested + ")" }));
    if (!items.length) { box.appendChild(G.el("p", { "class": "muted", text: G.t("support.none") })); return; }
    var list = G.el("ul", { "class": "candidates", id: "candidates" });
    items.forEach(function (item, i) {
      list.appendChild(G.el("li", {}, [G.el("label", {}, [
        G.el("input", { type: "checkbox", value: item.member.code, checked: i < event.support_requested ? "checked" : null }),
        " " + item.member.name + " · " + item.grid.name + " · " + G.t("support.ring" + item.ring) + " · " +
        G.distance(item.distance_m) + " · " + G.t("position.age") + " " + G.age(item.position_age_s)])]));
    });
    box.appendChild(list);
    var send = function (codes) {
      if (!codes.length) { G.toast(G.t("support.pick"), "error"); return; }
      act(event.id, "confirm_support", { members: codes }).then(clearMap);
    };
    box.appendChild(G.el("div", { "class": "actions" }, [
      G.el("button", { type: "button", id: "confirm-some", text: G.t("support.confirm_some"),
                       on: { click: function () { send(chosen(list)); } } }),
      G.el("button", { type: "button", id: "confirm-all", text: G.t("support.confirm_all"),
                       on: { click: function () { send(items.map(function (x) { return x.member.code; })); } } }),
      G.el("button", { type: "button", "class": "secondary", text: G.t("support.cancel"),
                       on: { click: function () { G.clear(box); clearMap(); } } })]));
  }

  G.support = {
    open: function (event, act) {
      var c = event.location.coordinates, r = 0.03;  // about 3 km around the event: rings 1 and 2
      return Promise.all([G.api("/api/v1/events/" + event.id + "/support-candidates?limit=20"),
                          G.members.around([c[0] - r, c[1] - r, c[0] + r, c[1] + r])]).then(function (r) {
        renderList(event, r[0].items, act);
        drawCandidates(event, r[0].items);
      }).catch(G.failed);
    },
    clear: clearMap
  };
}());
