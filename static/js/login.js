// Login and password pages: switch the language (static/js/i18n.js has put the labels in it).
(function () {
  "use strict";
  document.getElementById("lang").addEventListener("click", window.GISAPP_toggleLang);
}());
