// The search box: an event id, a grid / community / township / key place by code or name, or a coordinate pair
// in WGS84, CGCS2000, GCJ-02, BD-09 or a CGCS2000 Gauss-Kruger zone (the server converts it to WGS84).
(function () {
  "use strict";
  var G = window.GISAPP;
  var CRSS = [["EPSG:4326", "WGS84"], ["EPSG:4490", "CGCS2000"], ["GCJ-02", "GCJ-02"], ["BD-09", "BD-09"],
              ["EPSG:4548", "CGCS2000 GK 117°E"], ["EPSG:4549", "CGCS2000 GK 120°E"]];
  var pin = null;

  function go(result) {
    var p = result.point;
    if (pin) { pin.remove(); pin = null; }
    if (result.kind === "event") {
      G.map.setView(G.display.toMap(p[0], p[1]), Math.max(G.map.getZoom(), 16));
      G.emit("select-event", Number(result.code));
    } else if (result.bbox) {
      var b = result.bbox;
      G.map.fitBounds(L.latLngBounds(G.display.toMap(b[0], b[1]), G.display.toMap(b[2], b[3])), { maxZoom: 17 });
    } else {
      var at = G.display.toMap(p[0], p[1]);
      pin = L.circleMarker(at, { radius: 9, color: "#000", weight: 3, fillColor: "#ffeb3b", fillOpacity: 1 })
        .bindTooltip(result.name, { permanent: true }).addTo(G.map);
      G.map.setView(at, Math.max(G.map.getZoom(), 16));
    }
  }

  function render(list, items) {
    G.clear(list);
    if (!items.length) { list.appendChild(G.el("li", { "class": "muted", text: G.t("search.none") })); }
    items.forEach(function (r) {
      list.appendChild(G.el("li", {}, [G.el("button", { type: "button", "data-kind": r.kind,
        text: G.t("search.kind." + r.kind) + " · " + (r.code ? r.code + " " : "") + r.name,
        on: { click: function () { G.clear(list); go(r); } } })]));
    });
    if (items.length === 1) { G.clear(list); go(items[0]); }
  }

  G.searchControl = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      var input = G.el("input", { type: "search", id: "search-q", placeholder: G.t("search.placeholder"),
                                  "aria-label": G.t("search.placeholder"), maxlength: "64" });
      var crs = G.el("select", { id: "search-crs", "aria-label": G.t("search.crs") },
                     CRSS.map(function (c) { return G.el("option", { value: c[0], text: c[1] }); }));
      var list = G.el("ul", { "class": "search-results", id: "search-results" });
      var form = G.el("form", { "class": "search leaflet-bar", role: "search" }, [input, crs,
        G.el("button", { type: "submit", text: G.t("search.go") }), list]);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var q = input.value.trim();
        if (!q) { return; }
        G.api("/api/v1/dashboard/search?q=" + encodeURIComponent(q) + "&crs=" + encodeURIComponent(crs.value))
          .then(function (r) { render(list, r.items); }).catch(G.failed);
      });
      L.DomEvent.disableClickPropagation(form);
      L.DomEvent.disableScrollPropagation(form);
      return form;
    }
  });
}());
