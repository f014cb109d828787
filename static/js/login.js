// Login page: translate the labels and messages, switch the language.
(function () {
  "use strict";
  var lang = localStorage.getItem("gisapp.lang") || "zh";
  var strings = window.GISAPP_I18N[lang] || {};
  document.querySelectorAll("[data-i18n]").forEach(function (el) {
    var text = strings[el.dataset.i18n];
    if (text) { el.textContent = text; }
  });
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.getElementById("lang").addEventListener("click", function () {
    localStorage.setItem("gisapp.lang", lang === "zh" ? "en" : "zh");
    location.reload();
  });
}());
