// County overview: the declared layers drawn from /api/v1/layers, no external tiles.
(function () {
  "use strict";
  var t = window.GISAPP_translator();
  document.getElementById("lang").addEventListener("click", window.GISAPP_toggleLang);

  var map = L.map("map", { preferCanvas: true, zoomControl: true }).setView([32.06, 118.83], 13);
  var control = L.control.layers(null, null, { collapsed: false }).addTo(map);
  var info = document.getElementById("info");
  var drawn = {};

  function describe(props) {
    var rows = [props.name || props.code];
    if (props.team) {
      rows.push(t("team") + ": " + props.team.name);
      rows.push(t("members") + ": " + props.team.members + " / " + t("onDuty") + ": " + props.team.on_duty);
    }
    if (props.device_id) { rows.push(props.device_id); }
    return rows.map(function (r) { var d = document.createElement("div"); d.textContent = r; return d.outerHTML; }).join("");
  }

  function draw(layer) {
    return fetch(layer.url).then(function (r) { return r.json(); }).then(function (fc) {
      var style = layer.style || {};
      var geo = L.geoJSON(fc, {
        style: function () { return style; },
        pointToLayer: function (_f, latlng) { return L.circleMarker(latlng, Object.assign({ radius: 4 }, style)); },
        onEachFeature: function (f, l) { l.on("click", function () { info.innerHTML = describe(f.properties); }); }
      });
      control.addOverlay(geo, t(layer.name));
      drawn[layer.name] = fc.features.length;
      if (["townships", "grids", "cameras"].indexOf(layer.name) >= 0) { geo.addTo(map); }
      if (layer.name === "townships" && geo.getBounds().isValid()) { map.fitBounds(geo.getBounds()); }
    });
  }

  if (document.body.dataset.layers !== "on") {  // the role sees no business map data
    document.body.dataset.drawn = "{}";
    return;
  }
  fetch("/api/v1/layers").then(function (r) { return r.json(); }).then(function (index) {
    return index.items.reduce(function (p, layer) { return p.then(function () { return draw(layer); }); },
                              Promise.resolve());
  }).then(function () {
    // what was drawn, for people checking the page and for the browser test
    document.body.dataset.drawn = JSON.stringify(drawn);
    document.getElementById("county").textContent = (drawn.grids || 0) + " " + t("grids");
  });
})();
