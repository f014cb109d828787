// UI strings: the page carries its language's catalog (gisapp/web/messages/<lang>.json) as a JSON block.
(function () {
  "use strict";
  var block = document.getElementById("i18n-catalog");
  var data = block ? JSON.parse(block.textContent) : { lang: "zh", strings: {} };
  window.GISAPP_LANG = data.lang;
  window.GISAPP_I18N = {};
  window.GISAPP_I18N[data.lang] = data.strings;
  // the choice is kept in a cookie (a year) so that the server renders the next page in it
  window.GISAPP_setLang = function (lang) {
    document.cookie = "gisapp_lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
    location.reload();
  };
  window.GISAPP_toggleLang = function () { window.GISAPP_setLang(data.lang === "zh" ? "en" : "zh"); };
}());
