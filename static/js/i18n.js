// UI strings: the page carries its language's catalog (gisapp/web/messages/<lang>.json) as a JSON block.
(function () {
  "use strict";
  var block = document.getElementById("i18n-catalog");
  var data = block ? JSON.parse(block.textContent) : { lang: "zh", strings: {} };
  window.GISAPP_LANG = data.lang;
  // t(key, values) of a page: its own "<prefix>key" first, then the shared "key", else the key itself;
  // {name} in the string is replaced by values.name
  window.GISAPP_translator = function (prefix) {
    var has = function (k) { return Object.prototype.hasOwnProperty.call(data.strings, k); };
    return function (key, values) {
      var text = has((prefix || "") + key) ? data.strings[(prefix || "") + key] : has(key) ? data.strings[key] : key;
      Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
      return text;
    };
  };
  // the choice is kept in a cookie (a year) so that the server renders the next page in it
  window.GISAPP_setLang = function (lang) {
    document.cookie = "gisapp_lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
    location.reload();
  };
  window.GISAPP_toggleLang = function () { window.GISAPP_setLang(data.lang === "zh" ? "en" : "zh"); };
  // the labels the templates mark with data-i18n (a key the catalog lacks keeps the template's text); the
  // scripts come last in the page, so the labels are there
  document.querySelectorAll("[data-i18n]").forEach(function (el) {
    if (Object.prototype.hasOwnProperty.call(data.strings, el.dataset.i18n)) {
      el.textContent = data.strings[el.dataset.i18n];
    }
  });
}());
