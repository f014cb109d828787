// The planner's grid editor (网格规划): wires the tools to the modules, then opens the communities (?community=).
// The editor: pick a community, reshape its grids with leaflet-geoman (a dragged shared vertex moves the neighbour's
// too), split, merge, create, check (preview) with the problems drawn, propose a fix, save with If-Match (a 412 keeps
// the edit beside the current layout), history and restore, import a layer file.
(function () {
  "use strict";
  var G = window.GISAPP;
  var $ = G.$, state = G.state;

  $("lang").addEventListener("click", window.GISAPP_toggleLang);
  $("community").addEventListener("change", function (e) { if (e.target.value) { G.loadCommunity(e.target.value); } });
  $("edit").addEventListener("click", G.toggleEdit);
  $("split").addEventListener("click", G.startSplit);
  $("merge").addEventListener("click", G.startMerge);
  $("create").addEventListener("click", G.startCreate);
  $("history").addEventListener("click", G.showHistory);
  $("check").addEventListener("click", function () { G.run(true); });
  $("save").addEventListener("click", function () { G.run(false); });
  $("fix").addEventListener("click", G.proposeFix);
  $("discard").addEventListener("click", function () { if (state.community) { G.loadCommunity(state.community); } });
  $("new-code").addEventListener("input", G.describePending);
  $("import-form").addEventListener("submit", G.upload);

  // for people checking the page in the console and for the browser tests
  window.gisappPlanner = { map: G.map, state: state, select: G.selectGrid, community: G.chooseCommunity };
  G.loadCommunities().then(function () {
    var wanted = new URLSearchParams(location.search).get("community");
    return wanted ? G.chooseCommunity(wanted) : null;
  }).then(function () { G.publish(state.outcome || "ready"); });
}());
