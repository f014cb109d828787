// Dashboard core: strings, configuration, the API with its CSRF header, times in China Standard Time, DOM helpers.
(function () {
  "use strict";
  var G = window.GISAPP = window.GISAPP || {};
  var handlers = {};

  G.lang = window.GISAPP_LANG;
  G.t = window.GISAPP_translator();
  // the page's settings: the dashboard's block, or another page's (the evaluation page reuses this module)
  G.config = JSON.parse((document.getElementById("dash-config") || document.getElementById("page-config")).textContent);
  G.on = function (name, fn) { (handlers[name] = handlers[name] || []).push(fn); };
  G.emit = function (name, data) { (handlers[name] || []).forEach(function (fn) { fn(data); }); };

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // fetch JSON from the app itself; a refusal rejects with the API's code and message
  G.api = function (url, options) {
    var opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    if (opts.body !== undefined && typeof opts.body !== "string") {
      opts.body = JSON.stringify(opts.body);
      opts.headers["Content-Type"] = "application/json";
    }
    if (opts.method && opts.method !== "GET") { opts.headers["X-CSRF-Token"] = csrf; }
    return fetch(url, opts).then(function (r) {
      // a body cut short (an aborted request, a dropped line) is an error, never an empty answer
      return r.json().catch(function (e) { if (r.ok) { throw e; } return {}; }).then(function (body) {
        var err = body.error || {};
        if (!r.ok) { throw { status: r.status, code: err.code || "http_" + r.status, message: err.message || "" }; }
        return body;
      });
    });
  };

  var locale = G.lang === "zh" ? "zh-CN" : "en-GB";
  var full = new Intl.DateTimeFormat(locale, { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  var clock = new Intl.DateTimeFormat(locale, { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hour12: false });
  G.time = function (iso) { return iso ? full.format(new Date(iso)) : ""; };
  G.clock = function (date) { return clock.format(date); };

  // a duration for people: seconds, minutes, hours, days
  G.age = function (seconds) {
    if (seconds === null || seconds === undefined) { return G.t("age.unknown"); }
    var s = Math.abs(seconds), units = [[86400, "age.d"], [3600, "age.h"], [60, "age.m"], [1, "age.s"]];
    for (var i = 0; i < units.length; i++) {
      if (s >= units[i][0] || i === units.length - 1) {
        return Math.floor(s / units[i][0]) + " " + G.t(units[i][1]);
      }
    }
  };
  // a category's name in the page's language (the catalogue has both)
  G.categoryName = function (c) { return (G.lang === "en" && c.name_en) || c.name; };
  G.distance = function (m) { return m >= 1000 ? (m / 1000).toFixed(1) + " km" : Math.round(m) + " m"; };

  // build an element: text only through textContent (names and notes come from users)
  G.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; }
      else if (k === "on") { Object.keys(attrs.on).forEach(function (e) { node.addEventListener(e, attrs.on[e]); }); }
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return node;
  };
  G.clear = function (node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; };

  G.toast = function (message, kind) {
    var box = document.getElementById("toast");
    var item = G.el("div", { "class": "toast " + (kind || "info"), role: kind === "error" ? "alert" : "status",
                             text: message });
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 6000);
  };
  G.failed = function (err) {
    var known = G.t("error." + err.code);
    G.toast(known !== "error." + err.code ? known : (err.message || G.t("error.generic")), "error");
  };
}());
