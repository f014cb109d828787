// The planner's core: namespace, strings (the catalog's "planner." keys), the API with its CSRF header, helpers.
(function () {
  "use strict";
  var G = window.GISAPP = window.GISAPP || {};

  G.lang = window.GISAPP_LANG;  // the page's language (static/js/i18n.js reads its catalog)
  G.t = window.GISAPP_translator("planner.");
  G.csrf = document.querySelector('meta[name="csrf-token"]').content;
  G.$ = function (id) { return document.getElementById(id); };

  // every answer resolves, whatever its status, as { status, body, etag }: the callers branch on the status
  G.api = function (method, url, body, headers) {
    var h = Object.assign({ "Accept": "application/json" }, headers || {});
    if (method !== "GET") { h["Content-Type"] = "application/json"; h["X-CSRF-Token"] = G.csrf; }
    return fetch(url, { method: method, headers: h, credentials: "same-origin",
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (json) {
          return { status: r.status, body: json, etag: r.headers.get("ETag") };
        });
      });
  };

  G.el = function (tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  };

  G.button = function (label, onClick, id) {
    var b = G.el("button", label);
    b.type = "button";
    if (id) { b.id = id; }
    b.addEventListener("click", onClick);
    return b;
  };

  G.cst = function (iso) {
    var f = new Intl.DateTimeFormat(G.lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
    return f.format(new Date(iso)) + " (" + G.t("cst") + ")";
  };
}());
