// The duty report: print it, switch its language (static/js/i18n.js has put the labels in it).
(function () {
  "use strict";
  document.getElementById("lang").addEventListener("click", window.GISAPP_toggleLang);
  document.getElementById("print").addEventListener("click", function () { window.print(); });
}());
