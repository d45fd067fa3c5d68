// The assistant's drawer, on every signed-in page: the conversation (the answer streamed as
// server-sent events from POST /api/v1/chat), cards of what was written with Undo (or, for a
// user who reviews writes, of what would be written, with Save and Discard), quick replies,
// recent conversations, and photos of a meal or a nutrition label. Model text is only ever
// set as textContent, never parsed as HTML. Strings come from the page (data-t-*).
(function () {
  "use strict";
  var drawer = document.getElementById("chat");
  var opener = document.getElementById("chat-open");
  if (!drawer || !opener || !drawer.showModal || !window.fetch || !window.TextDecoder) return;
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var file = document.getElementById("chat-file");
  var recent = document.getElementById("chat-recent");
  var recentList = document.getElementById("chat-recent-list");
  var KEY = "sparky-chat-conversation";
  var UNDONE = "sparky-chat-undone";
  var DECIDED = "sparky-chat-decided";
  var MEALS = ["breakfast", "lunch", "dinner", "snack"];
  // Errors that mean the provider is not set up right: the settings page can fix them.
  var SETUP = ["ai_invalid_config", "ai_missing_api_key", "ai_auth_failed", "ai_model_not_found",
    "ai_endpoint_not_found", "ai_quota_exceeded"];
  var conversation = null;
  var busy = false;
  var shown = null; // the conversation whose messages are on screen
  var uid = 0;

  try { conversation = sessionStorage.getItem(KEY); } catch (e) { /* private mode */ }

  function t(key) { return drawer.getAttribute("data-t-" + key) || ""; }
  function fill(key, args) {
    return t(key).replace(/\{(\w+)\}/g, function (m, name) { return name in args ? String(args[name]) : m; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function remember(id) {
    conversation = id;
    try {
      if (id) sessionStorage.setItem(KEY, id); else sessionStorage.removeItem(KEY);
    } catch (e) { /* private mode */ }
  }

  var csrf = (function () {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  })();

  function headers(json) {
    var h = { accept: "application/json" };
    if (json) h["content-type"] = "application/json";
    if (csrf) h["x-csrf-token"] = csrf;
    return h;
  }

  // A JSON API call: {status, data} (data null when the body is not JSON); rejects offline.
  function api(method, path, body, extra) {
    var init = { method: method, headers: headers(body !== undefined), credentials: "same-origin" };
    Object.keys(extra || {}).forEach(function (k) { init.headers[k] = extra[k]; });
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
        return { status: r.status, data: data, retry: r.headers.get("retry-after") };
      });
    });
  }

  function serverMessage(r) {
    var e = r && r.data && r.data.error;
    if (!e) return String(r && r.status || "");
    var fields = e.fields ? Object.keys(e.fields).map(function (k) { return k + ": " + e.fields[k]; }) : [];
    return fields.length ? e.message + " (" + fields.join("; ") + ")" : e.message;
  }

  // ---- the log -----------------------------------------------------------------------------

  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function scroll(force) { if (force || nearBottom()) log.scrollTop = log.scrollHeight; }

  function add(node) {
    var stick = nearBottom();
    var hint = document.getElementById("chat-hint");
    if (hint) hint.classList.add("hidden");
    log.appendChild(node);
    scroll(stick);
    return node;
  }

  function bubble(who, text) {
    var b = el("div", "msg " + who);
    b.appendChild(el("span", "sr-only", t(who === "user" ? "you" : "assistant") + " "));
    var p = el("span", "text", text);
    b.appendChild(p);
    return add(b);
  }
  function textOf(b) { return b.querySelector(".text"); }

  function note(text, cls) { return add(el("p", "chat-note " + (cls || ""), text)); }

  function errorLine(message, settingsLink) {
    var p = el("p", "chat-error", message);
    p.setAttribute("role", "alert");
    var href = drawer.getAttribute("data-settings");
    if (settingsLink && href) {
      p.appendChild(document.createTextNode(" "));
      var a = el("a", "", t("settings"));
      a.href = href;
      p.appendChild(a);
    }
    return add(p);
  }

  function status(text) {
    var s = document.getElementById("chat-status");
    if (!s) {
      s = el("p", "chat-status");
      s.id = "chat-status";
      s.setAttribute("role", "status");
    }
    s.textContent = text;
    add(s); // (re)placed last
  }
  function clearStatus() {
    var s = document.getElementById("chat-status");
    if (s) s.parentNode.removeChild(s);
  }

  function kcal(n) {
    var c = n && n.calories;
    return typeof c === "number" ? Math.round(c) + " " + t("kcal") : "";
  }

  // A card: exactly what was written, with Undo while it can be undone; or a proposal (nothing
  // written yet), with Save and Discard until one of them is chosen.
  function card(c, parent) {
    var was = c.proposal_id ? decidedProposals()[c.proposal_id] : null;
    if (was && typeof was === "object") c = was; // saved in this tab: the saved card, with Undo
    var box = el("section", "chat-card");
    var title = el("p", "chat-card-title", c.title);
    title.id = nextId("card");
    box.setAttribute("aria-labelledby", title.id);
    box.appendChild(title);
    var ul = el("ul");
    (c.lines || []).forEach(function (line) { ul.appendChild(el("li", "", line)); });
    box.appendChild(ul);
    if (c.action_id) {
      var row = el("div", "row");
      var undo = el("button", "small", t("undo"));
      undo.type = "button";
      undo.setAttribute("data-undo", c.action_id);
      row.appendChild(undo);
      box.appendChild(row);
      if (undoneIds().indexOf(c.action_id) >= 0) undone(box, undo);
    } else if (c.proposal_id) {
      box.classList.add("proposal");
      var choices = el("div", "row");
      var discard = el("button", "small", t("discard"));
      discard.type = "button";
      discard.setAttribute("data-discard", c.proposal_id);
      var save = el("button", "small primary", t("save"));
      save.type = "button";
      save.setAttribute("data-save", c.proposal_id);
      choices.appendChild(discard);
      choices.appendChild(save);
      box.appendChild(choices);
      if (was === "discarded") settle(box, choices, t("discarded"), "discarded");
      else if (was) settle(box, choices, t("decided"), "decided");
    }
    if (parent) parent.parentNode.replaceChild(box, parent); else add(box);
    return box;
  }

  // What this tab has undone, so a conversation shown again says so (the stored history
  // does not; Undo on such a card answers 409 and says "Undone" too).
  function undoneIds() {
    try { return JSON.parse(sessionStorage.getItem(UNDONE) || "[]"); } catch (e) { return []; }
  }
  function undone(box, button, text) {
    var ids = undoneIds();
    var id = button.getAttribute("data-undo");
    if (ids.indexOf(id) < 0) {
      try { sessionStorage.setItem(UNDONE, JSON.stringify(ids.concat([id]).slice(-200))); } catch (e) { /* private mode */ }
    }
    box.classList.add("undone");
    var done = el("span", "pill", text || t("undone"));
    done.setAttribute("role", "status");
    button.parentNode.replaceChild(done, button);
  }

  // What this tab decided about proposals, so a conversation shown again does not offer Save
  // again (the stored history keeps the proposal's card): id -> the saved card, "discarded",
  // or "decided" (elsewhere: Save or Discard answered 409).
  function decidedProposals() {
    try { return JSON.parse(sessionStorage.getItem(DECIDED) || "{}") || {}; } catch (e) { return {}; }
  }
  function rememberDecided(id, what) {
    var all = decidedProposals();
    all[id] = what;
    var ids = Object.keys(all);
    ids.slice(0, Math.max(0, ids.length - 100)).forEach(function (old) { delete all[old]; });
    try { sessionStorage.setItem(DECIDED, JSON.stringify(all)); } catch (e) { /* private mode */ }
  }
  // A proposal's buttons give way to what became of it.
  function settle(box, row, text, cls) {
    box.classList.add(cls);
    var pill = el("span", "pill", text);
    pill.setAttribute("role", "status");
    row.textContent = "";
    row.appendChild(pill);
  }

  // Save or Discard on a proposal's card.
  function decide(button, saving) {
    var box = button.closest(".chat-card");
    var row = button.parentNode;
    var id = button.getAttribute(saving ? "data-save" : "data-discard");
    var buttons = row.querySelectorAll("button");
    var focused = document.activeElement === button;
    function enable(on) { Array.prototype.forEach.call(buttons, function (b) { b.disabled = !on; }); }
    // The button goes away: keyboard focus stays on the card rather than falling to the page.
    function keepFocus() {
      if (!focused) return;
      box.tabIndex = -1;
      box.focus();
    }
    function problem(text) {
      var old = box.querySelector(".chat-error");
      if (old) old.parentNode.removeChild(old);
      box.appendChild(el("p", "chat-error small", text));
    }
    enable(false);
    api("POST", "/api/v1/chat/proposals/" + encodeURIComponent(id) + (saving ? "/save" : "/discard"), {})
      .then(function (r) {
        if (saving && r.status === 200 && r.data) {
          rememberDecided(id, r.data);
          var saved = card(r.data, box);
          var undo = saved.querySelector("[data-undo]");
          if (focused && undo) undo.focus();
          changed();
          return;
        }
        if (!saving && r.status === 204) {
          rememberDecided(id, "discarded");
          settle(box, row, t("discarded"), "discarded");
          keepFocus();
          return;
        }
        // Saved or discarded already (in another tab): which, this card cannot tell.
        if (r.status === 409) {
          rememberDecided(id, "decided");
          settle(box, row, t("decided"), "decided");
          keepFocus();
          return;
        }
        // Refused now (422: say, the food was deleted since): the proposal still waits.
        enable(true);
        problem(saving ? t("save-failed") + " " + serverMessage(r) : fill("failed", { message: serverMessage(r) }));
      }, function () { enable(true); problem(t("offline")); });
  }

  log.addEventListener("click", function (e) {
    var choice = e.target.closest("[data-save], [data-discard]");
    if (choice) {
      decide(choice, choice.hasAttribute("data-save"));
      return;
    }
    var undo = e.target.closest("[data-undo]");
    if (undo) {
      var box = undo.closest(".chat-card");
      undo.disabled = true;
      api("POST", "/api/v1/chat/actions/" + encodeURIComponent(undo.getAttribute("data-undo")) + "/undo", {})
        .then(function (r) {
          // 409: it was undone already (from another tab, or by asking).
          // A row changed by hand since, or gone already, was left as it is: said so.
          var kept = r.status === 200 && r.data && (r.data.changed_since || r.data.already_gone);
          if (r.status === 200 || r.status === 409) { undone(box, undo, kept ? t("kept") : null); changed(); return; }
          undo.disabled = false;
          box.appendChild(el("p", "chat-error small", t("undo-failed") + " " + serverMessage(r)));
        }, function () { undo.disabled = false; box.appendChild(el("p", "chat-error small", t("offline"))); });
      return;
    }
    var reply = e.target.closest("[data-reply]");
    if (reply && !busy) send(reply.getAttribute("data-reply"));
  });

  function question(q, live) {
    bubble("assistant", q.question);
    if (!live) return;
    var group = el("div", "quick-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("quick-replies"));
    (q.options || []).forEach(function (o) {
      var b = el("button", "", o);
      b.type = "button";
      b.setAttribute("data-reply", o);
      group.appendChild(b);
    });
    add(group);
  }
  function clearQuickReplies() {
    Array.prototype.forEach.call(log.querySelectorAll(".quick-replies, .chat-actions"), function (g) {
      g.parentNode.removeChild(g);
    });
  }

  // The text shown when a turn is done. The server's text is authoritative; after writes it
  // starts with the cards' own lines (shown as cards already) and then a total, if any, and
  // the model's words.
  function finalText(text, cards) {
    if (!cards || !cards.length) return text;
    var blocks = text.split("\n\n");
    var total = blocks[0].split("\n").filter(function (l) { return /^Total: /.test(l); });
    return total.concat(blocks.slice(1)).join("\n\n").trim();
  }

  // ---- the page underneath -----------------------------------------------------------------

  var refreshTimer = null;
  // A form on the page that the user has typed into is not refreshed away under them.
  var pageEdited = false;
  document.addEventListener("input", function (e) {
    var main = document.getElementById("main");
    if (main && e.target && main.contains(e.target)) pageEdited = true;
  });
  // Something was written or undone: the screen underneath is refreshed in place (Today's
  // numbers, the check-in history, the exercise log), unless it holds unsaved typing.
  function changed() {
    if (!window.htmx) return;
    var id = document.getElementById("day") ? "day" : "main";
    if (id === "main" && (pageEdited || !document.getElementById("main"))) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      if (id === "day") {
        window.htmx.ajax("GET", location.pathname + location.search, { target: "#day", select: "#day", swap: "outerHTML" });
        return;
      }
      // The whole page (a plain request: htmx requests of some screens answer a fragment),
      // of which only <main> is taken.
      fetch(location.pathname + location.search, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (text) {
        if (text === null || pageEdited) return;
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("main");
        var main = document.getElementById("main");
        if (!fresh || !main) return;
        main.innerHTML = fresh.innerHTML;
        window.htmx.process(main);
      }).catch(function () { /* the page stays as it was */ });
    }, 250);
  }

  // ---- sending -----------------------------------------------------------------------------

  function setBusy(on) {
    busy = on;
    sendButton.disabled = on;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  // Reads a server-sent event stream, calling onEvent(name, data) for each JSON event.
  function readEvents(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function dispatch(block) {
      var name = "message";
      var data = [];
      block.split("\n").forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var c = line.indexOf(":");
        var field = c < 0 ? line : line.slice(0, c);
        var value = c < 0 ? "" : line.slice(c + 1);
        if (value.charAt(0) === " ") value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      });
      if (!data.length) return;
      var parsed;
      try { parsed = JSON.parse(data.join("\n")); } catch (e) { return; }
      onEvent(name, parsed);
    }
    function drain(end) {
      buffer = buffer.replace(/\r\n/g, "\n");
      var i;
      while ((i = buffer.indexOf("\n\n")) >= 0) {
        var block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        dispatch(block);
      }
      if (end && buffer.trim()) { dispatch(buffer); buffer = ""; }
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) { buffer += decoder.decode(); drain(true); return; }
        buffer += decoder.decode(r.value, { stream: true });
        drain(false);
        return pump();
      });
    }
    return pump();
  }

  function send(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    setBusy(true);
    clearQuickReplies();
    var mine = bubble("user", text);
    var turn = { text: null, asked: false, ended: false };
    status(t("thinking"));
    var body = { message: text };
    if (conversation) body.conversation_id = conversation;
    fetch("/api/v1/chat", {
      method: "POST", headers: headers(true), credentials: "same-origin", body: JSON.stringify(body)
    }).then(function (r) {
      var type = r.headers.get("content-type") || "";
      if (type.indexOf("text/event-stream") !== 0) {
        return r.text().then(function (raw) {
          var data = null;
          try { data = JSON.parse(raw); } catch (e) { /* not JSON */ }
          refused({ status: r.status, data: data, retry: r.headers.get("retry-after") });
          turn.ended = true;
        });
      }
      return readEvents(r.body, function (name, data) { onEvent(turn, mine, name, data); });
    }).catch(function () {
      if (!turn.ended) { turn.ended = true; errorLine(t("offline")); }
    }).then(function () {
      clearStatus();
      if (!turn.ended) errorLine(t("cut"));
      setBusy(false);
      if (drawer.open) input.focus();
    });
  }

  // The turn did not start (bad input, not set up, too many messages, no such conversation).
  function refused(r) {
    if (r.status === 429) {
      errorLine(fill("rate-limited", { seconds: r.retry || 60 }));
    } else if (r.status === 404) {
      remember(null);
      errorLine(t("gone"));
    } else {
      errorLine(fill("failed", { message: serverMessage(r) }), r.status === 409);
    }
  }

  function onEvent(turn, mine, name, d) {
    switch (name) {
      case "conversation":
        remember(d.conversation_id);
        shown = d.conversation_id;
        // A quick reply typed as its number shows as the option it picked.
        if (d.message) textOf(mine).textContent = d.message;
        break;
      case "text_delta":
        if (!turn.text) {
          turn.text = bubble("assistant", "");
          var s = document.getElementById("chat-status");
          if (s) add(s);
        }
        textOf(turn.text).textContent += d.text;
        scroll();
        break;
      case "tool_call":
        turn.text = null;
        status(fill("working", { tool: d.name }));
        break;
      case "tool_card":
        turn.text = null;
        card(d.card);
        if (!d.card.proposal_id) changed(); // a proposal wrote nothing
        break;
      case "tool_error":
        turn.text = null;
        note(fill("tool-failed", { tool: d.name, message: d.message }), "small muted");
        break;
      case "question":
        turn.text = null;
        turn.asked = d.question;
        break;
      case "done":
        turn.ended = true;
        clearStatus();
        if (turn.asked) {
          question(turn.asked, true);
        } else {
          var text = finalText(d.text || "", d.cards);
          if (turn.text && text) textOf(turn.text).textContent = text;
          else if (turn.text) turn.text.parentNode.removeChild(turn.text);
          else if (text) bubble("assistant", text);
        }
        // Once more at the end of a turn that wrote: the screen shows the turn's last write.
        if ((d.cards || []).some(function (c) { return !c.proposal_id; })) changed();
        break;
      case "error":
        turn.ended = true;
        clearStatus();
        errorLine(fill("failed", { message: d.message }), SETUP.indexOf(d.code) >= 0);
        break;
    }
  }

  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", grow);
  function grow() {
    input.rows = Math.min(6, Math.max(1, input.value.split("\n").length));
  }
  function submit() {
    if (busy || !input.value.trim()) return;
    var text = input.value;
    input.value = "";
    grow();
    send(text);
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });

  // ---- conversations -----------------------------------------------------------------------

  function clearLog() {
    Array.prototype.slice.call(log.children).forEach(function (c) {
      if (c.id !== "chat-hint") log.removeChild(c);
    });
    var hint = document.getElementById("chat-hint");
    if (hint) hint.classList.remove("hidden");
  }

  function startNew() {
    remember(null);
    shown = null;
    clearLog();
    recent.open = false;
    input.focus();
  }
  document.getElementById("chat-new").addEventListener("click", startNew);

  // Shows a stored conversation as it was told.
  function show(id) {
    return api("GET", "/api/v1/chat/conversations/" + encodeURIComponent(id)).then(function (r) {
      if (r.status !== 200) { if (r.status === 404) remember(null); return; }
      clearLog();
      remember(id);
      shown = id;
      var messages = r.data.messages || [];
      var cards = [];
      messages.forEach(function (m, i) {
        if (m.role === "user") {
          cards = [];
          if (m.content) bubble("user", m.content);
        } else if (m.role === "tool") {
          if (m.card && m.card.question) question(m.card.question, i === messages.length - 1);
          else if (m.card && m.card.title) { cards.push(m.card); card(m.card); }
        } else if (m.error) {
          errorLine(fill("failed", { message: m.error }));
        } else if (m.tool_calls) {
          if (m.content && m.content.trim()) bubble("assistant", m.content);
        } else {
          var text = finalText(m.content || "", cards);
          if (text) bubble("assistant", text);
        }
      });
      scroll(true);
    }, function () { /* offline: the drawer stays as it is */ });
  }

  function loadRecent() {
    api("GET", "/api/v1/chat/conversations?limit=8").then(function (r) {
      if (r.status !== 200) return;
      recentList.textContent = "";
      var items = r.data.items || [];
      if (!items.length) recentList.appendChild(el("li", "muted small", t("recent-none")));
      items.forEach(function (c) {
        var li = el("li");
        var b = el("button", "ghost", c.title);
        b.type = "button";
        b.setAttribute("data-conversation", c.id);
        if (c.id === conversation) b.setAttribute("aria-current", "true");
        li.appendChild(b);
        recentList.appendChild(li);
      });
    }, function () {});
  }
  recentList.addEventListener("click", function (e) {
    var b = e.target.closest("[data-conversation]");
    if (!b || busy) return;
    recent.open = false;
    show(b.getAttribute("data-conversation")).then(function () { input.focus(); });
  });

  // ---- opening and closing -----------------------------------------------------------------

  function open() {
    if (!drawer.open) drawer.showModal();
    if (conversation && shown !== conversation) show(conversation);
    loadRecent();
    input.focus();
  }
  opener.classList.remove("hidden");
  opener.addEventListener("click", open);
  document.getElementById("chat-close").addEventListener("click", function () { drawer.close(); });
  // A click on the backdrop (beside the panel on a desktop) closes it.
  drawer.addEventListener("click", function (e) { if (e.target === drawer) drawer.close(); });
  drawer.addEventListener("close", function () { opener.focus(); });

  // ---- photos ------------------------------------------------------------------------------

  // The picture made at most 1280 px on its long side, as JPEG (quality 0.8; lower if the
  // result would not fit the request size limit).
  function resize(f) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(f);
      var img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        var w = img.naturalWidth;
        var h = img.naturalHeight;
        if (!w || !h) { reject(new Error("empty")); return; }
        var scale = Math.min(1, 1280 / Math.max(w, h));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(w * scale));
        canvas.height = Math.max(1, Math.round(h * scale));
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        var quality = 0.8;
        var dataUrl = canvas.toDataURL("image/jpeg", quality);
        while (dataUrl.length > 900000 && quality > 0.35) {
          quality -= 0.15;
          dataUrl = canvas.toDataURL("image/jpeg", quality);
        }
        resolve({ url: dataUrl, data: dataUrl.slice(dataUrl.indexOf(",") + 1) });
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("unreadable")); };
      img.src = url;
    });
  }

  document.getElementById("chat-photo").addEventListener("click", function () { file.click(); });
  file.addEventListener("change", function () {
    var f = file.files && file.files[0];
    file.value = "";
    if (!f) return;
    resize(f).then(choosePhotoUse, function () { errorLine(t("photo-unreadable")); });
  });

  function choosePhotoUse(photo) {
    clearQuickReplies();
    var b = add(el("div", "msg user photo"));
    var img = el("img");
    img.src = photo.url;
    img.alt = t("photo-alt");
    b.appendChild(img);
    var group = el("div", "chat-actions");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("photo-what"));
    var meal = el("button", "primary", t("photo-meal"));
    var label = el("button", "", t("photo-label"));
    var cancel = el("button", "ghost", t("cancel"));
    [meal, label, cancel].forEach(function (x) { x.type = "button"; group.appendChild(x); });
    add(group);
    meal.focus();
    var done = function () { group.parentNode.removeChild(group); };
    cancel.addEventListener("click", function () { done(); b.parentNode.removeChild(b); input.focus(); });
    meal.addEventListener("click", function () { done(); readPhoto("/api/v1/assistant/meal-photo", photo, mealForm); });
    label.addEventListener("click", function () { done(); readPhoto("/api/v1/assistant/nutrition-label", photo, labelForm); });
  }

  function readPhoto(path, photo, then) {
    setBusy(true);
    status(t("photo-reading"));
    api("POST", path, { image: { media_type: "image/jpeg", data: photo.data } }).then(function (r) {
      clearStatus();
      if (r.status === 200 && r.data) then(r.data);
      else if (r.status === 429) errorLine(fill("rate-limited", { seconds: r.retry || 60 }));
      else {
        var code = r.data && r.data.error && r.data.error.code;
        errorLine(fill("failed", { message: serverMessage(r) }), r.status === 409 || SETUP.indexOf(code) >= 0);
      }
    }, function () { clearStatus(); errorLine(t("offline")); }).then(function () { setBusy(false); });
  }

  function field(labelText, control) {
    var wrap = el("div", "field");
    var id = nextId("pf");
    control.id = id;
    var l = el("label", "", labelText);
    l.htmlFor = id;
    wrap.appendChild(l);
    wrap.appendChild(control);
    return wrap;
  }
  function numberInput(value, min, max) {
    var i = el("input");
    i.type = "number";
    i.inputMode = "decimal";
    i.step = "any";
    i.min = String(min);
    if (max) i.max = String(max);
    if (value !== undefined && value !== null && value !== "") i.value = String(value);
    return i;
  }
  function warnings(box, list) {
    if (!list || !list.length) return;
    var warn = el("ul", "warn small");
    list.forEach(function (w) { warn.appendChild(el("li", "", w)); });
    box.appendChild(warn);
  }
  // One key per confirmation, so a retried request logs the meal once.
  function idempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(36).slice(2);
  }
  function foodLabel(f) { return f.brand ? f.name + " · " + f.brand : f.name; }

  function mealNow() {
    var h = new Date().getHours();
    if (h < 11) return "breakfast";
    if (h < 15) return "lunch";
    if (h >= 17 && h < 22) return "dinner";
    return "snack";
  }

  // (a) The foods seen in a meal photo, each to check, correct and log in one go.
  function mealForm(d) {
    var box = el("form", "chat-card photo-form");
    box.noValidate = true;
    var title = el("p", "chat-card-title", t("photo-found"));
    title.id = nextId("pt");
    box.setAttribute("aria-labelledby", title.id);
    box.appendChild(title);
    if (d.model) box.appendChild(el("p", "small muted", fill("photo-by", { model: d.model })));
    warnings(box, d.warnings);
    var items = d.items || [];
    if (!items.length) { box.appendChild(el("p", "", t("photo-nothing"))); add(box); return; }
    var rows = [];
    var list = el("ul", "photo-items");
    items.forEach(function (it) {
      var li = el("li");
      var check = el("input");
      check.type = "checkbox";
      check.checked = !!it.food;
      var name = el("label", "choice photo-name");
      name.appendChild(check);
      name.appendChild(el("span", "", it.name));
      if (typeof it.calories === "number") name.appendChild(el("span", "muted small est", Math.round(it.calories) + " " + t("kcal")));
      li.appendChild(name);
      var select = el("select");
      select.setAttribute("aria-label", fill("photo-food-for", { name: it.name }));
      var foods = [];
      if (it.food) foods.push(it.food);
      (it.alternatives || []).forEach(function (a) {
        if (!foods.some(function (f) { return f.id === a.id; })) foods.push(a);
      });
      if (!it.food) {
        var none = el("option", "", foods.length ? t("photo-choose") : t("photo-no-match"));
        none.value = "";
        select.appendChild(none);
      }
      foods.forEach(function (f) {
        var o = el("option", "", foodLabel(f));
        o.value = f.id;
        select.appendChild(o);
      });
      if (!foods.length) { select.disabled = true; check.disabled = true; }
      var grams = numberInput(it.grams, 1, 5000);
      grams.setAttribute("aria-label", fill("photo-grams-for", { name: it.name }));
      var controls = el("div", "row photo-controls");
      controls.appendChild(select);
      var g = el("span", "grams");
      g.appendChild(grams);
      g.appendChild(el("span", "muted", "g"));
      controls.appendChild(g);
      li.appendChild(controls);
      list.appendChild(li);
      var edited = function () {
        var est = name.querySelector(".est");
        if (est) est.parentNode.removeChild(est); // the estimate was for the original choice
      };
      select.addEventListener("change", function () { edited(); check.checked = !!select.value; count(); });
      grams.addEventListener("input", function () { edited(); count(); });
      check.addEventListener("change", count);
      rows.push({ check: check, select: select, grams: grams });
    });
    box.appendChild(list);
    var meal = el("select");
    MEALS.forEach(function (m) {
      var o = el("option", "", t("meal-" + m));
      o.value = m;
      meal.appendChild(o);
    });
    meal.value = mealNow();
    var foot = el("div", "row wrap align-end");
    var mealField = field(t("photo-meal-type"), meal);
    foot.appendChild(mealField);
    var go = el("button", "primary");
    go.type = "submit";
    foot.appendChild(go);
    box.appendChild(foot);
    var problem = el("p", "chat-error small hidden");
    problem.setAttribute("role", "alert");
    box.appendChild(problem);
    function chosen() {
      return rows.filter(function (r) {
        var g = parseFloat(r.grams.value);
        return r.check.checked && r.select.value && g > 0;
      });
    }
    function count() {
      var n = chosen().length;
      go.textContent = n === 1 ? t("photo-log-one") : fill("photo-log", { n: n });
      go.disabled = n === 0;
    }
    count();
    var key = idempotencyKey();
    box.addEventListener("submit", function (e) {
      e.preventDefault();
      var pick = chosen();
      if (!pick.length || busy) return;
      go.disabled = true;
      var body = {
        meal_type: meal.value,
        items: pick.map(function (r) { return { food_id: r.select.value, grams: parseFloat(r.grams.value) }; })
      };
      api("POST", "/api/v1/assistant/meal-photo/log", body, { "idempotency-key": key }).then(function (r) {
        if (r.status === 201 && r.data) {
          var mealName = t("meal-" + meal.value);
          card({
            action_id: r.data.action_id,
            title: fill("photo-logged", { meal: mealName }),
            lines: (r.data.entries || []).map(function (en) {
              var k = kcal(en.nutrients);
              return en.food_name + " — " + en.quantity + " " + en.unit + (k ? ": " + k : "");
            })
          }, box);
          changed();
        } else {
          // Refused (the form is corrected next): the next try is a new request.
          key = idempotencyKey();
          problem.textContent = fill("failed", { message: serverMessage(r) });
          problem.classList.remove("hidden");
          count();
        }
      }, function () {
        // Offline: the same key, so a retry does not log twice.
        problem.textContent = t("offline");
        problem.classList.remove("hidden");
        count();
      });
    });
    add(box);
    scroll(true);
  }

  // (b) A nutrition label read into a new food, to check and correct before creating it.
  function labelForm(d) {
    var food = d.food || {};
    var serving = (food.servings && food.servings[0]) || {};
    var n = serving.nutrients || {};
    var box = el("form", "chat-card photo-form");
    box.noValidate = true;
    var title = el("p", "chat-card-title", t("label-found"));
    title.id = nextId("pt");
    box.setAttribute("aria-labelledby", title.id);
    box.appendChild(title);
    warnings(box, d.warnings);
    var text = function (v) { var i = el("input"); i.type = "text"; i.value = v || ""; return i; };
    var name = text(food.name);
    name.maxLength = 255;
    var brand = text(food.brand);
    brand.maxLength = 255;
    var size = numberInput(serving.size, 0);
    var unit = text(serving.unit);
    unit.maxLength = 50;
    var weight = numberInput(serving.weight_g, 0);
    var nutrients = {};
    var grid = el("div", "fields");
    grid.appendChild(field(t("name"), name));
    grid.appendChild(field(t("brand"), brand));
    box.appendChild(grid);
    var sg = el("div", "fields");
    sg.appendChild(field(t("serving-size"), size));
    sg.appendChild(field(t("unit"), unit));
    sg.appendChild(field(t("weight-g"), weight));
    box.appendChild(sg);
    var ng = el("div", "fields");
    ["calories", "protein", "carbohydrates", "fat"].forEach(function (k) {
      nutrients[k] = numberInput(n[k], 0);
      ng.appendChild(field(t(k) + (k === "calories" ? " (" + t("kcal") + ")" : " (g)"), nutrients[k]));
    });
    box.appendChild(ng);
    // Further servings the label gave (e.g. per 100 g) are saved as proposed.
    (food.servings || []).slice(1).forEach(function (o) {
      var k = kcal(o.nutrients);
      box.appendChild(el("p", "small muted", fill("label-also", { serving: o.size + " " + o.unit + (k ? " · " + k : "") })));
    });
    var go = el("button", "primary", t("label-create"));
    go.type = "submit";
    box.appendChild(go);
    var problem = el("p", "chat-error small hidden");
    problem.setAttribute("role", "alert");
    box.appendChild(problem);
    var num = function (i) { var v = parseFloat(i.value); return isNaN(v) ? null : v; };
    box.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = JSON.parse(JSON.stringify(food));
      body.name = name.value.trim();
      body.brand = brand.value.trim() || null;
      var s = JSON.parse(JSON.stringify(serving));
      s.size = num(size);
      s.unit = unit.value.trim();
      s.weight_g = num(weight);
      s.nutrients = s.nutrients || {};
      Object.keys(nutrients).forEach(function (k) {
        var v = num(nutrients[k]);
        if (v === null) delete s.nutrients[k]; else s.nutrients[k] = v;
      });
      body.servings = [s].concat((food.servings || []).slice(1));
      go.disabled = true;
      api("POST", "/api/v1/foods", body).then(function (r) {
        if (r.status === 201 && r.data) {
          var done = el("section", "chat-card");
          var p = el("p", "chat-card-title", fill("label-created", { name: r.data.name }));
          done.appendChild(p);
          var a = el("a", "button small", t("label-open"));
          a.href = "/add/food/" + encodeURIComponent(r.data.id);
          done.appendChild(a);
          box.parentNode.replaceChild(done, box);
        } else {
          go.disabled = false;
          problem.textContent = fill("failed", { message: serverMessage(r) });
          problem.classList.remove("hidden");
        }
      }, function () {
        go.disabled = false;
        problem.textContent = t("offline");
        problem.classList.remove("hidden");
      });
    });
    add(box);
    scroll(true);
    name.focus();
  }
})();
