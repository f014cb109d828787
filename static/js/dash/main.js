// The commander dashboard: wires the map, its layers, the panel and the live stream together.
(function () {
  "use strict";
  var G = window.GISAPP;
  var DEFAULT_ON = ["townships", "communities", "grids", "key-roads", "coverage-gaps", "key-locations", "cameras"];

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // the view in the address (#zoom/lat/lon), so a view can be shared and a screen restarted where it was
  function viewFromHash() {
    var m = /^#(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(location.hash);
    return m ? { zoom: Number(m[1]), center: L.latLng(Number(m[2]), Number(m[3])) } : null;
  }

  function makeMap() {
    var map = G.map = L.map("map", { preferCanvas: true, zoomControl: true, attributionControl: !!G.config.basemap,
                                     minZoom: 8, maxZoom: 19 });
    var view = viewFromHash();
    if (view) { map.setView(view.center, view.zoom); } else { map.setView([32.06, 118.83], 12); }
    G.basemap(map);
    L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map);
    map.addControl(new G.searchControl());
    map.addControl(new G.legendControl());
    window.addEventListener("hashchange", function () {  // a view typed or linked while the page is open
      var asked = viewFromHash();
      if (asked) { map.setView(asked.center, asked.zoom); }
    });
    map.on("moveend", function () {
      var c = map.getCenter();
      history.replaceState(null, "", "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5));
    });
    return { map: map, fitted: !!view };
  }

  function fitArea(map) {  // no view asked for: the user's whole area
    return G.source.features("townships").then(function (fc) {
      var bounds = L.geoJSON(fc, { coordsToLatLng: G.display.coordsToLatLng }).getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { animate: false }); }
    });
  }

  function addLayers(map, decls, events, members) {
    var control = L.control.layers(null, null, { collapsed: window.matchMedia("(max-width: 700px)").matches }).addTo(map);
    var areas = G.areas(map, decls);
    decls.forEach(function (d) {
      control.addOverlay(areas.layers[d.name].group, G.t("layer." + d.name));
      if (DEFAULT_ON.indexOf(d.name) >= 0) { areas.layers[d.name].group.addTo(map); }
    });
    control.addOverlay(events.layer.addTo(map), G.t("layer.events"));
    control.addOverlay(members.layer.addTo(map), G.t("layer.members"));
    return areas;
  }

  function start() {
    var made = makeMap(), map = made.map;
    var events = G.eventLayer(map);
    var members = G.members = G.memberLayer(map);
    var drawn = {};
    var areas = null;

    var loadGrids = function () {
      var grids = areas && areas.layers.grids;
      if (!grids || !grids.loaded) { return; }
      G.api("/api/v1/dashboard/grid-load?bbox=" + G.display.bbox(grids.loaded).map(function (v) { return v.toFixed(6); }).join(","))
        .then(function (r) { G.gridLoad = r.grids; grids.restyle(); });
    };
    var refresh = function () {
      G.api("/api/v1/dashboard/queue").then(function (r) { events.set(r.items); G.renderQueue(r.items); });
      G.api("/api/v1/supervisions?limit=100").then(function (r) { G.renderSupervision(r.items); });
      G.api("/api/v1/dashboard/today").then(G.figures);
      members.load();
      loadGrids();
    };

    G.on("layer-drawn", function (info) {
      drawn[info.name] = info.count;
      document.body.dataset.drawn = JSON.stringify(drawn);
      if (info.name === "grids") {
        // the benchmark's mark: the grids are on the canvas once the next frame has been painted
        requestAnimationFrame(function () {
          if (!performance.getEntriesByName("gisapp:grids-drawn").length) { performance.mark("gisapp:grids-drawn"); }
        });
        loadGrids();
      }
    });
    G.on("select-event", function (id) { G.detail.show(id); });
    G.on("shown-event", function (e) {
      document.querySelectorAll(".queue-item.selected").forEach(function (n) { n.classList.remove("selected"); });
      document.querySelectorAll('.queue-item[data-event="' + e.id + '"]').forEach(function (n) { n.classList.add("selected"); });
    });
    var later = debounce(function () {
      refresh();
      var open = G.detail.current();
      if (open && !document.getElementById("candidates")) { G.detail.show(open); }
    }, 400);
    G.on("live", later);
    G.on("changed", later);

    document.getElementById("lang").addEventListener("click", window.GISAPP_toggleLang);
    G.tabs();
    G.showTab("queue");
    setInterval(function () { document.getElementById("clock").textContent = G.clock(new Date()); }, 1000);
    setInterval(members.load, 30000);  // duty positions are not on the stream: a light poll of the view
    G.source.index().then(function (decls) {
      areas = addLayers(map, decls, events, members);
      G.layers = areas.layers;
      return made.fitted ? null : fitArea(map);
    }).then(function () {
      return areas.update();  // the map's layers first, then the panel's data
    }).then(function () {
      refresh();
      G.live();
      document.body.dataset.ready = "1";
    }).catch(G.failed);
  }

  start();
}());
