// The legend: what the colours and shapes of the map mean.
(function () {
  "use strict";
  var G = window.GISAPP;
  var ROWS = [
    ["ev ev-reported", "legend.reported"], ["ev ev-accepted", "legend.accepted"], ["ev ev-dispatched", "legend.in_hand"],
    ["ev ev-handled", "legend.handled"], ["ev ev-dispatched sv-warned", "legend.warned"],
    ["ev ev-dispatched sv-overdue", "legend.overdue"], ["ev ev-dispatched ev-l2", "legend.level2"],
    ["swatch grid-open", "legend.grid_open"], ["swatch grid-overdue", "legend.grid_overdue"],
    ["line road", "legend.road"], ["line gap", "legend.gap"], ["dot cam-on", "legend.camera_on"],
    ["dot cam-off", "legend.camera_off"], ["dot keyloc", "legend.key_location"],
    ["mb mb-on_duty", "duty.on_duty"], ["mb mb-on_patrol", "duty.on_patrol"], ["mb mb-busy", "duty.busy"],
    ["mb mb-on_duty mb-stale", "legend.stale"]
  ];

  G.legendControl = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      var list = G.el("ul", { id: "legend-list" }, ROWS.map(function (r) {
        return G.el("li", {}, [G.el("span", { "class": "key " + r[0] }), G.el("span", { text: G.t(r[1]) })]);
      }));
      var toggle = G.el("button", { type: "button", "class": "legend-toggle", "aria-expanded": "true",
                                    text: G.t("legend.title") });
      var box = G.el("div", { "class": "legend leaflet-bar", id: "legend" }, [toggle, list]);
      toggle.addEventListener("click", function () {
        list.hidden = !list.hidden;
        toggle.setAttribute("aria-expanded", list.hidden ? "false" : "true");
      });
      if (window.matchMedia("(max-width: 700px)").matches) { list.hidden = true; toggle.setAttribute("aria-expanded", "false"); }
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
}());
