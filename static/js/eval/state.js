// What the page shows: scope, period [from, to), the charts' figure, the map's level, the trend's bucket, the
// workload's breakdown and the table's order; kept in the address (#scope=grid&from=...) so a view can be shared.
// Dates are days in China Standard Time, whatever the browser's time zone.
(function () {
  "use strict";
  var G = window.GISAPP;
  var DATE = /^\d{4}-\d{2}-\d{2}$/;
  var KEPT = ["scope", "from", "to", "preset", "kpi", "level", "bucket", "by", "sort", "dir"];

  function iso(y, m, d) { return new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10); }

  // today's year, month (0-11) and day in Beijing
  G.todayCst = function () {
    var d = new Date(Date.now() + 8 * 3600 * 1000);
    return { y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate() };
  };

  // the presets as [from, to)
  G.presetPeriod = function (name) {
    var t = G.todayCst();
    return {
      this_month: [iso(t.y, t.m, 1), iso(t.y, t.m + 1, 1)],
      last_month: [iso(t.y, t.m - 1, 1), iso(t.y, t.m, 1)],
      this_year: [iso(t.y, 0, 1), iso(t.y + 1, 0, 1)],
      last_year: [iso(t.y - 1, 0, 1), iso(t.y, 0, 1)]
    }[name] || null;
  };
  G.nextDay = function (day) {
    var d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  };

  function options(id) {
    return Array.prototype.map.call(document.querySelectorAll("#" + id + " option"), function (o) { return o.value; });
  }

  function defaults() {
    var month = G.presetPeriod("this_month");
    return { scope: G.config.role === "township_dispatcher" ? "community" : "township", from: month[0], to: month[1],
             preset: "this_month", kpi: "closure_rate", level: "grid", bucket: "day", by: "category", sort: "",
             dir: "desc" };
  }

  // the state from the address, each value checked (anything else falls back to the default)
  G.readState = function () {
    var s = defaults(), asked = new URLSearchParams(location.hash.slice(1));
    var fits = {
      scope: function (v) { return options("scope").indexOf(v) >= 0; },
      level: function (v) { return options("map-level").indexOf(v) >= 0; },
      bucket: function (v) { return options("bucket").indexOf(v) >= 0; },
      by: function (v) { return options("workload-by").indexOf(v) >= 0; },
      from: function (v) { return DATE.test(v); }, to: function (v) { return DATE.test(v); },
      preset: function (v) { return v === "custom" || !!G.presetPeriod(v); },
      kpi: function (v) { return /^[a-z_]{1,40}$/.test(v); }, sort: function (v) { return /^[a-z_]{0,40}$/.test(v); },
      dir: function (v) { return v === "asc" || v === "desc"; }
    };
    KEPT.forEach(function (k) { if (asked.has(k) && fits[k](asked.get(k))) { s[k] = asked.get(k); } });
    if (s.preset !== "custom") { var p = G.presetPeriod(s.preset); s.from = p[0]; s.to = p[1]; }
    if (s.to <= s.from) { s.to = G.nextDay(s.from); }
    return s;
  };

  G.writeState = function (s) {
    var q = new URLSearchParams();
    KEPT.forEach(function (k) { if (s[k]) { q.set(k, s[k]); } });
    history.replaceState(null, "", "#" + q.toString());
  };

  // the query string of an API call for the state's period, with more parameters
  G.periodQuery = function (s, more) {
    var q = new URLSearchParams({ from: s.from, to: s.to });
    Object.keys(more || {}).forEach(function (k) {
      if (more[k] !== null && more[k] !== undefined) { q.set(k, more[k]); }
    });
    return q.toString();
  };

  // what the page shows, for the browser tests and the curious (body[data-state], JSON)
  var published = {};
  G.publish = function (part, value) {
    published[part] = value;
    document.body.dataset.state = JSON.stringify(published);
  };
}());
