// Topology problems (overlap, gap, sliver ...): worded in the page's language, listed, drawn in their colour.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, el = G.el, map = G.map, overlays = G.overlays;
  var PROBLEM_COLORS = { overlap: "#d32f2f", gap: "#f57c00", sliver: "#7b1fa2", invalid_geometry: "#000000",
                         outside_community: "#c2185b", bad_grid_code: "#455a64" };

  // a problem in the page's language, from its check, grids and area (the server's message for what has no wording)
  G.describeProblem = function (problem) {
    var key = "problem." + problem.check;
    var area = problem.area_m2 === null || problem.area_m2 === undefined ? "" : Math.round(problem.area_m2);
    var text = t(key, { grid: problem.grid || "", other: problem.other || "", area: area });
    if (text === key) { return (problem.grid || "") + " " + problem.message; }
    return problem.check === "invalid_geometry" ? text + " (" + problem.message + ")" : text;
  };

  G.drawProblem = function (problem) {
    var color = PROBLEM_COLORS[problem.check] || "#d32f2f";
    var geo = L.geoJSON(problem.where, {
      style: function () { return { color: color, weight: 3, fillColor: color, fillOpacity: 0.55 }; },
      pointToLayer: function (_f, latlng) {
        return L.circleMarker(latlng, { radius: 8, color: color, fillColor: color, fillOpacity: 0.9 });
      }
    });
    geo.bindTooltip(t("check." + problem.check) + ": " + G.describeProblem(problem));
    overlays.problems.addLayer(geo);
    return geo;
  };

  G.showProblems = function (error) {
    var box = G.say(t("failed"), "error");
    var list = box.appendChild(el("ul", null, "problems"));
    error.details.forEach(function (problem) {
      var item = list.appendChild(el("li"));
      var swatch = item.appendChild(el("span", t("check." + problem.check), "check check-" + problem.check));
      swatch.style.borderColor = PROBLEM_COLORS[problem.check] || "#d32f2f";
      item.appendChild(el("span", " " + G.describeProblem(problem)));
      if (problem.where) {
        var geo = G.drawProblem(problem);
        item.addEventListener("click", function () { map.fitBounds(geo.getBounds().pad(2)); });
      }
    });
    G.publish("topology_failed");
  };
}());
