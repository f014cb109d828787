// The grid officer's phone page (网格员): wires the map and buttons; loads my grid, position and tasks.
// The page: my grid and its neighbours, where I am (geolocation) and whether I am inside my grid, my tasks with their
// deadlines (China Standard Time) and steps, a report by tapping the map, and my duty status.
(function () {
  "use strict";
  var G = window.GISAPP;
  var $ = G.$, state = G.state;

  $("lang").addEventListener("click", window.GISAPP_toggleLang);
  G.map.on("click", function (e) { G.pick(e.latlng); });
  $("report").addEventListener("click", G.startReporting);
  $("report-cancel").addEventListener("click", G.stopReporting);
  $("report-form").addEventListener("submit", G.sendReport);
  document.querySelectorAll(".duty button").forEach(function (b) {
    b.addEventListener("click", function () { G.reportDuty(b.dataset.status); });
  });

  // for people checking the page in the console and for the browser tests
  window.gisappOfficer = { map: G.map, state: state };
  G.api("GET", "/api/v1/auth/me").then(function (r) {
    state.me = r.body;
    return Promise.all([G.api("GET", "/api/v1/layers/grids"), G.loadCategories()]);
  }).then(function (answers) {
    G.drawGrids(answers[0].body, state.me.area.code);
    G.locate();
    setInterval(G.loadTasks, 60000);  // new dispatches to my team show up within a minute
    return G.loadTasks();
  }).then(function () { G.publish(state.outcome || "ready"); });
}());
