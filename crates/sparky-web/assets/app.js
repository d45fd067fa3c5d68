// Sparky's own script: small, no dependencies but htmx. Everything works without it; it adds
// the sheet, keyboard navigation of results, the undo toast's timer, the browser's timezone,
// barcode scanning and the service worker. No inline scripts anywhere (strict CSP).
(function () {
  "use strict";
  var sheet = document.getElementById("sheet");

  function openSheet() {
    if (sheet && !sheet.open && sheet.showModal) sheet.showModal();
    var focus = sheet && sheet.querySelector("[autofocus]");
    if (focus) focus.focus();
  }

  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.id === "sheet-body") openSheet();
    setupScan();
  });

  document.addEventListener("click", function (e) {
    var close = e.target.closest && e.target.closest("[data-close-sheet]");
    if (close && sheet) { sheet.close(); }
  });

  if (sheet) {
    // A click on the backdrop closes the sheet.
    sheet.addEventListener("click", function (e) { if (e.target === sheet) sheet.close(); });
  }

  // Changing whose data is shown submits at once.
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autosubmit]")) e.target.form.submit();
  });

  // Arrow keys move between search results; Enter follows the focused one.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    var input = e.target.closest && e.target.closest("[data-results]");
    var list = input ? document.getElementById(input.getAttribute("data-results")) : e.target.closest && e.target.closest("#food-results");
    if (!list) return;
    var items = Array.prototype.slice.call(list.querySelectorAll(".results a, .results button"));
    if (!items.length) return;
    var i = items.indexOf(document.activeElement);
    var next = e.key === "ArrowDown" ? Math.min(i + 1, items.length - 1) : i - 1;
    e.preventDefault();
    if (next < 0) { var q = document.getElementById("food-q"); if (q) q.focus(); return; }
    items[next].focus();
  });

  // The undo toast goes away after a while.
  document.addEventListener("htmx:oobAfterSwap", function () {
    var toast = document.querySelector("[data-autohide]");
    if (toast) setTimeout(function () { if (toast.parentNode) toast.parentNode.removeChild(toast); }, 8000);
  });

  // The browser's timezone for onboarding and settings: an empty field, or a select that
  // offers it (marked only when the server has no choice of the user's to keep).
  Array.prototype.forEach.call(document.querySelectorAll("[data-browser-timezone]"), function (el) {
    try {
      var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (!tz) return;
      if (el.tagName === "SELECT") {
        if (el.querySelector('option[value="' + tz.replace(/"/g, "") + '"]')) el.value = tz;
      } else if (!el.value) {
        el.value = tz;
      }
    } catch (err) { /* keep the server's default */ }
  });

  // Choosing metric or US units switches the unit pickers next to height and weight.
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("[data-units]")) return;
    var system = e.target.value === "imperial" ? "imperial" : "metric";
    Array.prototype.forEach.call(e.target.form.querySelectorAll("[data-unit-metric]"), function (sel) {
      sel.value = sel.getAttribute("data-unit-" + system);
    });
  });

  // Barcode scanning with the browser's BarcodeDetector where it exists.
  function setupScan() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-scan]"), function (btn) {
      if (!("BarcodeDetector" in window) || !navigator.mediaDevices || btn.dataset.ready) return;
      btn.dataset.ready = "1";
      btn.classList.remove("hidden");
      btn.addEventListener("click", function () { scan(btn); });
    });
  }

  function scan(btn) {
    var input = document.getElementById(btn.getAttribute("data-scan"));
    var video = document.getElementById("scanner");
    var detector = new window.BarcodeDetector({ formats: ["ean_13", "ean_8", "upc_a", "upc_e"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.classList.remove("hidden");
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.classList.add("hidden"); };
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            input.value = codes[0].rawValue;
            if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
          } else if (!video.classList.contains("hidden")) {
            requestAnimationFrame(tick);
          }
        }).catch(stop);
      };
      tick();
    }).catch(function () { btn.classList.add("hidden"); });
  }
  setupScan();

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () { navigator.serviceWorker.register("/sw.js").catch(function () {}); });
  }
})();
