// The impact preview of a change (events leaving their grid, teams, accounts) and the answer of a check that passed.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, el = G.el;

  G.impactList = function (impact) {
    var list = el("dl", null, "impact");
    var rows = [["impactEvents", (impact.events_leaving_their_grid || []).map(function (e) {
                  return "#" + e.event + " " + e.grid + " → " + (e.now_in || "—"); })],
                ["impactTeams", impact.teams_whose_area_changes || []],
                ["impactLost", impact.teams_losing_their_grid || []],
                ["impactNoTeam", impact.grids_without_a_team || []],
                ["impactAccounts", impact.accounts_bound_to_retired_grids || []]];
    rows.forEach(function (row) {
      list.appendChild(el("dt", t(row[0])));
      list.appendChild(el("dd", row[1].length ? row[1].join("、") : t("none")));
    });
    list.appendChild(el("dd", t("impactNote"), "muted"));
    return list;
  };

  G.showValid = function (impact) {
    var box = G.say(t("valid"), "ok");
    box.appendChild(el("h3", t("impact")));
    box.appendChild(G.impactList(impact || {}));
    G.publish("valid");
  };
}());
