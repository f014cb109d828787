// What the officer page knows (grid, position, tasks, duty, the report being made), published in body[data-state].
(function () {
  "use strict";
  var G = window.GISAPP;
  var state = G.state = { events: L.layerGroup().addTo(G.map), me: null, grid: null, team: null, position: null,
                          reporting: false, pick: null, marker: null, tasks: 0, outcome: "", duty: null, where: null };

  // what the page shows, for people checking it and for the browser tests
  G.publish = function (outcome) {
    if (outcome !== undefined) { state.outcome = outcome; }
    document.body.dataset.state = JSON.stringify({ grid: state.grid && state.grid.properties.code,
      neighbours: state.neighbours || 0, where: state.where, tasks: state.tasks, duty: state.duty,
      outcome: state.outcome });
  };
}());
