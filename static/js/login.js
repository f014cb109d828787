// Login page: translate the labels and messages, switch the language.
(function () {
  "use strict";
  var lang = window.GISAPP_LANG;
  var strings = window.GISAPP_I18N[lang] || {};
  document.querySelectorAll("[data-i18n]").forEach(function (el) {
    var text = strings[el.dataset.i18n];
    if (text) { el.textContent = text; }
  });
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.getElementById("lang").addEventListener("click", window.GISAPP_toggleLang);
}());
