// Sparky's own script: small, no dependencies but htmx. Everything works without it; it adds
// the sheet, keyboard navigation of results, the undo toast's timer, the browser's timezone,
// barcode scanning and the service worker. No inline scripts anywhere (strict CSP).
(function () {
  "use strict";
  var sheet = document.getElementById("sheet");

  // An open sheet is a step in the browser's history, so that a phone's Back closes it (Back
  // left the day, and the amount typed, for the page before).
  var sheetInHistory = false;

  function openSheet() {
    if (sheet && !sheet.open && sheet.showModal) {
      sheet.showModal();
      if (window.history && history.pushState && !sheetInHistory) {
        history.pushState({ sparkySheet: true }, "");
        sheetInHistory = true;
      }
    }
    var focus = sheet && sheet.querySelector("[autofocus]");
    if (focus) focus.focus();
  }

  window.addEventListener("popstate", function () {
    if (!sheetInHistory) return;
    sheetInHistory = false;
    if (sheet && sheet.open) sheet.close();
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.id === "sheet-body") openSheet();
    setupScan();
  });

  // htmx binds a swapped field's triggers when the swap settles (about 20 ms after the sheet
  // opens and focuses it); what was typed in between fires no search, so search it now.
  document.addEventListener("htmx:load", function (e) {
    // The current tab of a strip wider than a phone is scrolled into sight.
    var tabs = e.target && e.target.querySelectorAll && e.target.querySelectorAll("[data-scroll-into-view]");
    if (tabs) tabs.forEach(function (t) {
      var strip = t.closest("nav");
      if (strip && strip.scrollWidth > strip.clientWidth) {
        var off = t.getBoundingClientRect().left - strip.getBoundingClientRect().left;
        strip.scrollLeft += off - (strip.clientWidth - t.offsetWidth) / 2;
      }
    });
    var el = e.target;
    var q = el && (el.id === "food-q" ? el : el.querySelector && el.querySelector("#food-q"));
    if (q && q.value && window.htmx) window.htmx.trigger(q, "search");
  });

  document.addEventListener("click", function (e) {
    var close = e.target.closest && e.target.closest("[data-close-sheet]");
    if (close && sheet) { sheet.close(); }
  });

  // A secret shown once (a new API key, a password link) is selected whole when focused, to
  // copy it in one go.
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-select-all]")) e.target.select();
  });

  if (sheet) {
    // A click on the backdrop closes the sheet.
    sheet.addEventListener("click", function (e) { if (e.target === sheet) sheet.close(); });
  }

  // A write that cannot be undone asks first (the form's data-confirm text), and says it was
  // asked with confirm=yes; without this script the server answers such a form with a page
  // asking the same. Registered before the guard below, which leaves a cancelled form alone.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || form.tagName !== "FORM" || !form.hasAttribute("data-confirm")) return;
    if (form.querySelector("input[name=confirm]")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); return; }
    var yes = document.createElement("input");
    yes.type = "hidden"; yes.name = "confirm"; yes.value = "yes";
    form.appendChild(yes);
  });

  // A write is sent once: a second tap (a double tap, or an impatient one while the first is
  // on its way) would save the meal twice. htmx would queue it behind the first, so it is
  // dropped while the form's own request is in flight; a plain form is not sent again until
  // the page changes (or after a while, for a form whose answer is a download).
  var writing = typeof WeakSet === "function" ? new WeakSet() : null;
  document.addEventListener("htmx:confirm", function (e) {
    var d = e.detail;
    if (writing && d && d.verb && d.verb !== "get" && writing.has(d.elt)) e.preventDefault();
  });
  document.addEventListener("htmx:beforeRequest", function (e) {
    var c = e.detail && e.detail.requestConfig;
    if (writing && c && c.verb !== "get") writing.add(e.detail.elt);
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (writing && e.detail) writing.delete(e.detail.elt);
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form || form.tagName !== "FORM") return;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || form.hasAttribute("hx-post")) return;
    if (form.hasAttribute("data-sent")) { e.preventDefault(); return; }
    form.setAttribute("data-sent", "");
    setTimeout(function () { form.removeAttribute("data-sent"); }, 10000);
  });
  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function () {
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) sent[i].removeAttribute("data-sent");
  });

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

  // A refused (4xx) or failed htmx request swaps nothing, so the page would stay as it was
  // without a word: say why in the toast, in the words of the server's own answer.
  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) return;
    var t = document.createElement("div");
    t.className = "toast";
    t.setAttribute("role", "alert");
    t.setAttribute("data-refused", "");
    var span = document.createElement("span");
    span.textContent = text;
    t.appendChild(span);
    box.replaceChildren(t);
    setTimeout(function () { if (t.parentNode) t.parentNode.removeChild(t); }, 8000);
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail && e.detail.xhr;
    var text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var why = doc.querySelector("main [role=alert]") || doc.querySelector(".error-page p");
      text = why ? why.textContent.trim() : "";
    } catch (_) { /* not HTML: the general words below */ }
    toast(text || document.body.getAttribute("data-refused") || "");
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.getAttribute("data-unreachable") || "");
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

  // Barcode scanning with the camera: the browser's BarcodeDetector where it reads retail
  // codes, else ZXing (vendored), fetched only when the user opens the scanner. A code read
  // goes to the barcode form, which looks it up as a typed one would be.
  var FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e"];

  function setupScan() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-scan]"), function (btn) {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || btn.dataset.ready) return;
      btn.dataset.ready = "1";
      btn.classList.remove("hidden");
      btn.addEventListener("click", function () { scan(btn); });
    });
  }

  function nativeReader() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (have) {
      var formats = FORMATS.filter(function (f) { return have.indexOf(f) >= 0; });
      if (!formats.length) return null;
      var detector = new window.BarcodeDetector({ formats: formats });
      return function (video) {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }).catch(function () { return null; });
  }

  var zxing = null;
  function zxingReader(src) {
    if (!zxing) {
      zxing = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = src;
        s.onload = function () { resolve(window.ZXing); };
        s.onerror = function () { zxing = null; reject(new Error("scanner did not load")); };
        document.head.appendChild(s);
      });
    }
    return zxing.then(function (Z) {
      var hints = new Map();
      hints.set(Z.DecodeHintType.POSSIBLE_FORMATS, [Z.BarcodeFormat.EAN_13, Z.BarcodeFormat.EAN_8, Z.BarcodeFormat.UPC_A, Z.BarcodeFormat.UPC_E]);
      hints.set(Z.DecodeHintType.TRY_HARDER, true);
      var reader = new Z.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      return function (video) {
        var w = video.videoWidth, h = video.videoHeight;
        if (!w || !h) return Promise.resolve(null);
        canvas.width = w;
        canvas.height = h;
        canvas.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0, w, h);
        try {
          var bitmap = new Z.BinaryBitmap(new Z.HybridBinarizer(new Z.HTMLCanvasElementLuminanceSource(canvas)));
          return Promise.resolve(reader.decodeWithState(bitmap).getText());
        } catch (err) {
          return Promise.resolve(null); // no code in this frame
        }
      };
    });
  }

  function scan(btn) {
    var input = document.getElementById(btn.getAttribute("data-scan"));
    var video = document.getElementById("scanner");
    var status = document.getElementById("scan-status");
    var say = function (text) { if (status) status.textContent = text || ""; };
    if (video.srcObject) { stopScan(video); return; }
    var reader = nativeReader().then(function (r) { return r || zxingReader(btn.getAttribute("data-zxing")); });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.classList.remove("hidden");
      video.play();
      say(btn.getAttribute("data-looking"));
      return reader.then(function (read) {
        var tick = function () {
          if (!video.srcObject || !video.isConnected) { stopScan(video); return; }
          read(video).then(function (code) {
            if (code) {
              stopScan(video);
              say("");
              input.value = code;
              if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
            } else {
              setTimeout(tick, 120);
            }
          }, function () { setTimeout(tick, 120); });
        };
        tick();
      });
    }).catch(function () {
      stopScan(video);
      say(btn.getAttribute("data-error"));
    });
  }

  function stopScan(video) {
    var stream = video.srcObject;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    video.srcObject = null;
    video.classList.add("hidden");
  }

  // Closing the sheet turns the camera off, and takes its step out of the history (closed
  // by its button, the backdrop or Escape, Back would otherwise reopen nothing).
  if (sheet) {
    sheet.addEventListener("close", function () {
      var video = document.getElementById("scanner");
      if (video) stopScan(video);
      if (sheetInHistory) {
        sheetInHistory = false;
        history.back();
      }
    });
  }
  setupScan();

  // Settings → Your data: the archive goes to POST /api/v1/import as the request body.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-import]")) return;
    e.preventDefault();
    var input = form.querySelector("input[type=file]");
    var button = form.querySelector("button[type=submit]");
    var status = form.querySelector("[data-import-status]");
    if (!input.files || !input.files.length) { input.focus(); return; }
    // A message the page came with (an import sent without the script) is out of date now.
    form.querySelectorAll(".form-error").forEach(function (p) { p.remove(); });
    status.textContent = button.getAttribute("data-busy");
    button.disabled = true;
    fetch("/api/v1/import", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/gzip" },
      body: input.files[0]
    }).then(function (r) {
      return r.json().then(function (body) {
        status.textContent = r.ok ? button.getAttribute("data-done")
          : (body && body.error && body.error.message) || button.getAttribute("data-failed");
      });
    }).catch(function () {
      status.textContent = button.getAttribute("data-failed");
    }).then(function () { button.disabled = false; });
  });

  // Settings → Your data → another app's export: checked first (dry run: what would be added
  // and what left out, with reasons), then imported with the Import button.
  function importFrom(form, dryRun) {
    var kind = form.querySelector("select[name=kind]").value;
    var input = form.querySelector("input[type=file]");
    var status = form.querySelector("[data-import-from-status]");
    var confirm = form.querySelector("[data-import-from-confirm]");
    var button = dryRun ? form.querySelector("button[type=submit]") : confirm;
    if (!input.files || !input.files.length) { input.focus(); return; }
    form.querySelectorAll(".form-error").forEach(function (p) { p.remove(); });
    var label = button.textContent;
    button.textContent = button.getAttribute("data-busy");
    button.disabled = true;
    confirm.hidden = true;
    var query = [];
    if (dryRun) query.push("dry_run=true");
    if (kind === "csv") {
      query.push("target=" + encodeURIComponent(form.querySelector("select[name=target]").value));
      var map = form.querySelector("input[name=map]").value.trim();
      if (map) query.push("map=" + encodeURIComponent(map));
    }
    var url = "/api/v1/import/" + encodeURIComponent(kind) + (query.length ? "?" + query.join("&") : "");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/octet-stream" },
      body: input.files[0]
    }).then(function (r) {
      return r.json().then(function (body) {
        status.textContent = "";
        if (!r.ok) {
          status.textContent = (body && body.error && body.error.message) || form.getAttribute("data-failed");
          return;
        }
        var parts = [];
        ["foods", "diary", "measurements", "workouts"].forEach(function (area) {
          var n = body.created[area];
          if (n > 0) parts.push(n + " " + form.getAttribute("data-l-" + area + (n === 1 ? "-one" : "")));
        });
        var p = document.createElement("p");
        p.textContent = parts.length
          ? form.getAttribute(dryRun ? "data-would" : "data-added").replace("{list}", parts.join(", "))
          : form.getAttribute("data-nothing");
        status.appendChild(p);
        if (body.replaced_day_totals > 0) {
          var replaced = document.createElement("p");
          replaced.textContent = form.getAttribute("data-replaced").replace("{n}", body.replaced_day_totals);
          status.appendChild(replaced);
        }
        // A later export of the same app whose meal totals changed: the earlier entries go.
        if (body.replaced_entries > 0) {
          var entries = document.createElement("p");
          entries.textContent = form.getAttribute("data-replaced-entries").replace("{n}", body.replaced_entries);
          status.appendChild(entries);
        }
        // Day totals (steps, water) the phone or an earlier import stored: this file's replace them.
        if (body.replaced_day_values > 0) {
          var values = document.createElement("p");
          values.textContent = form.getAttribute("data-replaced-values").replace("{n}", body.replaced_day_values);
          status.appendChild(values);
        }
        // A generic CSV: how each column was read, so a wrong match can be fixed first.
        if (body.columns && body.columns.length) {
          var cols = document.createElement("p");
          cols.textContent = form.getAttribute("data-columns") + " " + body.columns.map(function (c) {
            return c.column + " → " + (c.field || form.getAttribute("data-unused"));
          }).join(", ");
          status.appendChild(cols);
        }
        // Nutrient columns with no built-in field: kept as the user's custom nutrients, or not.
        if (body.custom_nutrients && body.custom_nutrients.length) {
          var kept = body.custom_nutrients.filter(function (c) { return c.custom_nutrient; });
          var unkept = body.custom_nutrients.filter(function (c) { return !c.custom_nutrient; });
          if (kept.length) {
            var k = document.createElement("p");
            k.textContent = form.getAttribute("data-custom-kept").replace("{list}", kept.map(function (c) {
              return c.column + " → " + c.custom_nutrient;
            }).join(", "));
            status.appendChild(k);
          }
          if (unkept.length) {
            var u = document.createElement("p");
            u.textContent = form.getAttribute("data-custom-unkept").replace("{list}",
              unkept.slice(0, 12).map(function (c) { return c.column; }).join(", ") + (unkept.length > 12 ? ", …" : ""));
            status.appendChild(u);
          }
        }
        // "3 × why (line 5)" for the first ten of a list of notes or skip reasons.
        var counted = function (items, text) {
          var list = document.createElement("ul");
          items.slice(0, 10).forEach(function (s) {
            var li = document.createElement("li");
            li.textContent = s.count + " × " + text(s) +
              (s.first_line ? " (" + form.getAttribute("data-line").replace("{line}", s.first_line) + ")" : "");
            list.appendChild(li);
          });
          return list;
        };
        // Rows imported differently than the file may mean (a meal name filed under snacks).
        if (body.notes && body.notes.length) {
          status.appendChild(counted(body.notes, function (n) { return n.note; }));
        }
        if (body.skip_reasons && body.skip_reasons.length) {
          var head = document.createElement("p");
          head.textContent = form.getAttribute("data-skipped");
          status.appendChild(head);
          status.appendChild(counted(body.skip_reasons, function (s) { return s.reason; }));
        }
        confirm.hidden = !(dryRun && parts.length);
      });
    }).catch(function () {
      status.textContent = form.getAttribute("data-failed");
    }).then(function () { button.textContent = label; button.disabled = false; });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-import-from]")) return;
    e.preventDefault();
    importFrom(form, true);
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-import-from-confirm]");
    if (button) importFrom(button.form, false);
  });
  // A different app or file needs checking again before it can be imported.
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.matches("form[data-import-from]")) {
      form.querySelector("[data-import-from-confirm]").hidden = true;
      form.querySelector("[data-import-from-status]").textContent = "";
      form.querySelector("[data-csv-only]").hidden =
        form.querySelector("select[name=kind]").value !== "csv";
    }
  });
  // A browser that restores the form on "back" may have kept "Any CSV" chosen.
  document.querySelectorAll("form[data-import-from]").forEach(function (form) {
    form.querySelector("[data-csv-only]").hidden =
      form.querySelector("select[name=kind]").value !== "csv";
  });

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () { navigator.serviceWorker.register("/sw.js").catch(function () {}); });
  }
  // Everything above is in place (browser tests wait for this before using the page's script).
  document.documentElement.setAttribute("data-js", "ready");
})();
