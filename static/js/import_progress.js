// Excel import: poll the batch's progress while a worker validates or imports it, then reload the page.
(function () {
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector(".js-progress-bar");
  var text = box.querySelector(".js-progress-text");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) {
          window.setTimeout(poll, 5000);
          return;
        }
        bar.max = data.total || 1;
        bar.value = data.done;
        bar.textContent = data.percent + "%";
        text.textContent = data.done + " / " + data.total;
        var waiting = box.querySelector(".js-not-started");
        if (waiting && data.started) {
          waiting.hidden = true;
        }
        if (data.running) {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
