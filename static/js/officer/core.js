// The officer page's core: namespace, strings (the catalog's "officer." keys), the API with its CSRF header, helpers.
(function () {
  "use strict";
  var G = window.GISAPP = window.GISAPP || {};

  G.lang = window.GISAPP_LANG;  // the page's language (static/js/i18n.js reads its catalog)
  G.t = window.GISAPP_translator("officer.");
  G.csrf = document.querySelector('meta[name="csrf-token"]').content;
  G.$ = function (id) { return document.getElementById(id); };

  // every answer resolves, whatever its status, as { status, body }: the callers branch on the status
  G.api = function (method, url, body) {
    var headers = { "Accept": "application/json" };
    if (method !== "GET") { headers["Content-Type"] = "application/json"; headers["X-CSRF-Token"] = G.csrf; }
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
                        body: body === undefined ? undefined : JSON.stringify(body) }).then(G.answer);
  };

  G.answer = function (r) {
    return r.json().catch(function () { return {}; }).then(function (json) { return { status: r.status, body: json }; });
  };

  G.el = function (tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  };

  G.cst = function (iso) {
    if (!iso) { return "—"; }
    return new Intl.DateTimeFormat(G.lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));
  };

  // the message line under the map
  G.say = function (text, kind) {
    var box = G.$("message");
    box.textContent = text;
    box.className = "message " + (kind || "");
  };

  G.failed = function (r) {
    var err = (r.body && r.body.error) || {};
    G.say(G.t("errorPrefix") + (err.message || r.status), "error");
    G.publish(err.code || String(r.status));
  };

  // a client_ref: the key that makes a retried report or action the same one
  G.uuid = function () {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  };
}());
