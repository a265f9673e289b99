// Vigil's triage UI: selection, copying, and live updates. Served from the
// UI itself (the Content-Security-Policy allows no inline script); it only
// reads the page and /ui/api/total, and never inserts HTML.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  var count = document.getElementById("selected-count");
  function picks() { return document.querySelectorAll("input.pick"); }
  function update() {
    var n = 0;
    picks().forEach(function (c) { if (c.checked) n++; });
    if (count) count.textContent = String(n);
  }
  if (all) {
    all.addEventListener("change", function () {
      picks().forEach(function (c) { c.checked = all.checked; });
      update();
    });
  }
  picks().forEach(function (c) { c.addEventListener("change", update); });
  update();

  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var input = document.getElementById(b.getAttribute("data-copy"));
      if (!input) return;
      input.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(function () { b.textContent = "Copied"; }, function () {});
      }
    });
  });

  var live = document.getElementById("live");
  if (live && live.getAttribute("data-live") === "1") {
    var stored = parseInt(live.getAttribute("data-stored"), 10) || 0;
    var text = document.getElementById("live-text");
    var every = parseInt(live.getAttribute("data-poll"), 10) || 5000;
    setInterval(function () {
      fetch("/ui/api/total", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j || typeof j.total !== "number" || j.total <= stored) return;
          var n = j.total - stored;
          text.textContent = n + (n === 1 ? " new alert." : " new alerts.");
          live.hidden = false;
        })
        .catch(function () {});
    }, every);
  }
});
