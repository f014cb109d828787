// The edit session: community, layout ETag, grids drawn, the pending edit; published in body[data-state].
(function () {
  "use strict";
  var G = window.GISAPP;
  var state = G.state = { community: null, etag: null, features: {}, layers: {}, edited: {}, creates: [], retires: [],
                          op: null, selected: null, latest: null, outcome: "" };

  // what the page shows, for people checking it and for the browser tests
  G.publish = function (outcome) {
    if (outcome !== undefined) { state.outcome = outcome; }
    document.body.dataset.state = JSON.stringify({
      community: state.community, etag: state.etag, grids: Object.keys(state.layers).length,
      selected: state.selected, edited: Object.keys(state.edited).sort(), creates: state.creates.length,
      op: state.op && state.op.kind, problems: G.overlays.problems.getLayers().length,
      current: G.overlays.current.getLayers().length, outcome: state.outcome });
  };

  G.hasPending = function () {
    return Boolean(state.op || Object.keys(state.edited).length || state.creates.length || state.retires.length);
  };
}());
