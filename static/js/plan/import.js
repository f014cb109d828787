// Importing a layer file: the upload (a dry run or for real), then its job polled until it is done or failed.
(function () {
  "use strict";
  var G = window.GISAPP;
  var t = G.t, $ = G.$, el = G.el, map = G.map, overlays = G.overlays, state = G.state;

  G.upload = function (e) {
    e.preventDefault();
    var file = $("import-file").files[0];
    if (!file) { return importSay(t("needFile"), "error"); }
    var form = new FormData();
    form.append("file", file);
    if ($("import-crs").value) { form.append("crs", $("import-crs").value); }
    form.append("dry_run", $("import-dry").checked ? "true" : "false");
    if ($("reason").value.trim()) { form.append("reason", $("reason").value.trim()); }
    $("import-send").disabled = true;
    G.publish("busy");
    return fetch("/api/v1/layers/" + $("import-layer").value + "/import", {
      method: "POST", body: form, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": G.csrf } })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (r) {
        if (r.status !== 202 && r.status !== 200) {
          $("import-send").disabled = false;
          var err = r.body.error || {};
          importSay(t("errorPrefix") + (err.message || r.status), "error");
          return G.publish(err.code || String(r.status));
        }
        return poll(r.body.id);
      }, function () { $("import-send").disabled = false; importSay(t("network"), "error"); });
  };

  function importSay(text, kind) {
    var box = $("import-result");
    box.textContent = "";
    box.appendChild(el("p", text, kind || "notice"));
    return box;
  }

  function poll(id) {
    return G.api("GET", "/api/v1/imports/" + id).then(function (r) {
      var job = r.body;
      if (r.status === 200 && job.status === "running") {
        importSay(t("importRunning", { stage: t("stage." + job.stage), processed: job.processed || 0,
                                       total: job.total || "?" }));
        return new Promise(function (resolve) { setTimeout(resolve, 700); }).then(function () { return poll(id); });
      }
      $("import-send").disabled = false;
      if (r.status !== 200) { return G.showError(r); }
      return job.status === "done" ? importDone(job) : importFailed(job);
    });
  }

  function importDone(job) {
    var result = job.result || {};
    var box = importSay(t(job.dry_run ? "importDryDone" : "importDone"), "ok");
    var counts = ["features", "inserted", "updated", "unchanged", "matched", "retired"].filter(function (k) {
      return result[k] !== undefined; }).map(function (k) { return t("count." + k) + " " + result[k]; });
    box.appendChild(el("p", counts.join(" · ")));
    if (result.impact) {
      Object.keys(result.impact).forEach(function (community) {
        box.appendChild(el("h3", t("impact") + " · " + community));
        box.appendChild(G.impactList(result.impact[community] || {}));
      });
    }
    G.publish(job.dry_run ? "import_checked" : "imported");
    if (!job.dry_run && state.community && job.layer === "grids") { return G.loadCommunity(state.community); }
  }

  function importFailed(job) {
    overlays.problems.clearLayers();
    var box = importSay(t("importFailed"), "error");
    var list = box.appendChild(el("ul", null, "problems"));
    job.problems.slice(0, 50).forEach(function (p) {
      var item = list.appendChild(el("li", (t("check." + p.check) !== "check." + p.check ? t("check." + p.check) : p.check) +
                                           " " + (p.id || "") + " " + p.message));
      if (p.where) {
        var geo = G.drawProblem(p);
        item.addEventListener("click", function () { map.fitBounds(geo.getBounds().pad(2)); });
      }
    });
    if (job.problem_count > 50) { box.appendChild(el("p", t("more", { n: job.problem_count - 50 }), "muted")); }
    var drawn = overlays.problems.getLayers();
    if (drawn.length) { map.fitBounds(L.featureGroup(drawn).getBounds().pad(0.5)); }
    G.publish("import_failed");
  }
}());
