/* index.html behaviour: filters, #case-ID anchors, printing, and the wire
   logs, built from the JSON each case embeds when it is first opened.
   The filters start as the markup says: on "not pass" when any case did not
   pass (html_writer.c), so the page opens on what needs fixing.
   Everything from the run goes into the page with textContent, never as
   markup: the page's Content-Security-Policy allows this script only. */
(function () {
  "use strict";

  var doc = document;
  var ENTRY_CHUNK = 200; /* wire entries rendered per "show more" */
  var HEX_FIRST = 4096; /* hex bytes dumped before "show all" */
  var HEX_OPEN = 512; /* entries up to this size show their hex open */

  var cases = [].slice.call(doc.querySelectorAll("details.case"));
  var areas = [].slice.call(doc.querySelectorAll("section.area"));
  var boxes = [].slice.call(doc.querySelectorAll("input[name=verdict]"));
  var areaSel = doc.getElementById("f-area");
  var levelSel = doc.getElementById("f-level");
  var search = doc.getElementById("f-search");
  var shown = doc.getElementById("shown");
  var nomatch = doc.getElementById("nomatch");

  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function add(parent, tag, cls, text) {
    var e = el(tag, cls, text);
    parent.appendChild(e);
    return e;
  }

  /* ---- filters ---- */

  function textOf(c, sel) {
    var e = c.querySelector(sel);
    return e ? e.textContent : "";
  }

  /* A case's area is its own attribute: the "Needs attention" list holds
     cases of every area. */
  cases.forEach(function (c) {
    c.wsArea = c.getAttribute("data-area");
    c.wsText = [c.id.slice(5), textOf(c, ".ctitle"), textOf(c, ".reason")]
      .join(" ")
      .toLowerCase();
  });

  var passes = cases.filter(function (c) {
    return c.getAttribute("data-v") === "pass";
  }).length;
  var initial = {};
  boxes.forEach(function (b) { initial[b.value] = b.defaultChecked; });

  function apply() {
    var want = {};
    boxes.forEach(function (b) { want[b.value] = b.checked; });
    var area = areaSel.value, level = levelSel.value;
    var q = search.value.trim().toLowerCase();
    var total = 0;
    cases.forEach(function (c) {
      var ok = want[c.getAttribute("data-v")] &&
        (!area || c.wsArea === area) &&
        (!level || c.getAttribute("data-level") === level) &&
        (!q || c.wsText.indexOf(q) >= 0);
      c.hidden = !ok;
      if (ok) total++;
    });
    var filtering = total !== cases.length;
    areas.forEach(function (a) {
      var n = a.querySelectorAll("details.case:not([hidden])").length;
      a.hidden = n === 0;
      a.querySelector(".ashown").textContent = filtering ? n + " shown" : "";
    });
    var text = "Showing " + total + " of " + cases.length + " cases";
    /* On "not pass" (how the page opens), say where the passes went. */
    var notPass = boxes.every(function (b) {
      return b.checked === (b.value !== "pass");
    });
    if (notPass && passes)
      text += " (" + passes + " passing hidden: tick \u201cpass\u201d " +
        "to show them)";
    shown.textContent = text;
    nomatch.hidden = total !== 0 || cases.length === 0;
  }

  /* Every verdict for which keep(verdict) holds, and no other filter. */
  function showVerdicts(keep) {
    boxes.forEach(function (b) { b.checked = keep(b.value); });
    areaSel.value = "";
    levelSel.value = "";
    search.value = "";
    apply();
  }

  function showAll() {
    showVerdicts(function () { return true; });
  }

  /* Back to how the page opened (the boxes' checked attributes). */
  function reset() {
    showVerdicts(function (v) { return initial[v]; });
  }

  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  areaSel.addEventListener("change", apply);
  levelSel.addEventListener("change", apply);
  search.addEventListener("input", apply);
  doc.getElementById("reset").addEventListener("click", reset);

  /* A summary chip shows only its verdict; the total chip shows all; the
     "not pass" chip all but the passes. The other filters stay as set. */
  function chipShows(chip, keep) {
    chip.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = keep(b.value); });
      apply();
    });
  }
  [].forEach.call(doc.querySelectorAll(".chip[data-only]"), function (chip) {
    var only = chip.getAttribute("data-only");
    chipShows(chip, function (v) { return !only || v === only; });
  });
  [].forEach.call(doc.querySelectorAll(".chip[data-not]"), function (chip) {
    var not = chip.getAttribute("data-not");
    chipShows(chip, function (v) { return v !== not; });
  });

  doc.getElementById("expand").addEventListener("click", function () {
    cases.forEach(function (c) { if (!c.hidden) c.open = true; });
  });
  doc.getElementById("collapse").addEventListener("click", function () {
    cases.forEach(function (c) { c.open = false; });
  });

  /* ---- wire log ---- */

  function hexLines(hex, from, to) {
    var out = [];
    for (var off = from; off < to; off += 16) {
      var end = Math.min(off + 16, to), bytes = "", ascii = "";
      for (var i = off; i < off + 16; i++) {
        if (i === off + 8) bytes += " ";
        if (i < end) {
          var h = hex.substr(i * 2, 2), v = parseInt(h, 16);
          bytes += " " + h;
          ascii += v >= 32 && v < 127 ? String.fromCharCode(v) : ".";
        } else {
          bytes += "   ";
        }
      }
      out.push(("0000000" + off.toString(16)).slice(-8) + " " + bytes +
        "  |" + ascii + "|");
    }
    return out.join("\n");
  }

  function hexDump(parent, e) {
    var have = e.hex.length / 2;
    var box = add(parent, "details", "hex");
    /* HTTP reads better decoded; frames are small and their bytes matter. */
    box.open = e.n <= HEX_OPEN &&
      !e.rows.some(function (r) { return r.k === "http"; });
    add(box, "summary", "", "hex dump, " + e.n + " byte" + (e.n === 1 ? "" : "s"));
    var pre = add(box, "pre", "hexdump");
    var first = Math.min(have, HEX_FIRST);
    pre.textContent = hexLines(e.hex, 0, first);
    if (first < have) {
      var b = add(box, "button", "more", "Show all " + have + " bytes");
      b.type = "button";
      b.addEventListener("click", function () {
        pre.textContent = hexLines(e.hex, 0, have);
        b.remove();
      });
    }
    if (e.cut > 0)
      add(box, "p", "muted", e.cut + " more bytes not shown here " +
        "(results.json holds them all)");
  }

  function field(parent, name, value, bad) {
    var f = add(parent, "span", bad ? "fld warn" : "fld", name ? name + " " : "");
    add(f, "b", "", value);
  }

  function frameRow(r, row) {
    add(row, "span", "fno fld", "#" + r.no);
    add(row, "span", "op op-" + r.op, r.op);
    field(row, "FIN", r.fin ? "1" : "0", false);
    field(row, "RSV", r.rsv, r.rsv !== "000");
    if (r.key) field(row, "mask", r.key, false);
    else add(row, "span", "fld", "unmasked");
    field(row, "len", r.len + (r.lf === 7 ? "" : " (" + r.lf + "-bit)"), false);
    if (r.got !== r.len)
      add(row, "span", "warn", "incomplete: " + r.got + " of " + r.len +
        " bytes on the wire");
    if (r.code !== undefined) field(row, "code", r.code, false);
    if (r.pv !== undefined)
      add(row, "span", "pv", "'" + r.pv + "'" + (r.pvMore ? "\u2026" : ""));
    (r.warn || []).forEach(function (w) { add(row, "span", "warn", "! " + w); });
  }

  function rowEl(r) {
    var row = el("div", "row k-" + r.k);
    add(row, "span", "at", r.at >= 0 ? "+" + r.at : "\u2026");
    if (r.k === "http" && r.text === "" && r.eol !== "none") {
      add(row, "span", "muted", "(empty line: end of the header block)");
    } else if (r.k === "http") {
      add(row, "code", "", r.text);
      if (r.eol !== "crlf")
        add(row, "span", "tag", r.eol === "lf" ? "bare LF" : "no line end");
    } else if (r.k === "frame") {
      frameRow(r, row);
    } else if (r.k === "cont") {
      var last = Number(r.from) + Number(r.n) - 1;
      add(row, "span", "fld", "payload of #" + (r.no || "?") + " " +
        (r.op || "") + " continues: bytes " + r.from + "\u2013" + last +
        " of " + (r.of || "?"));
    } else if (r.k === "part") {
      add(row, "span", "fld", r.n + " byte(s) of a frame header; the rest " +
        "comes in a later write");
    } else {
      add(row, "span", "fld", r.n + " bytes after a response that is not " +
        "101 (body, not frames)");
    }
    return row;
  }

  function entryEl(e) {
    var li = el("li", "entry d-" + e.d);
    var head = add(li, "div", "ehead");
    add(head, "span", "t", e.t.toFixed(3) + " ms");
    add(head, "span", "dir", e.d === "tx" ? "\u2192 sent" :
      e.d === "rx" ? "\u2190 received" : "\u2022 note");
    if (e.d !== "note") add(head, "span", "n", e.n + " byte" + (e.n === 1 ? "" : "s"));
    if (e.note) add(head, "span", "note", e.note);
    if (e.rows.length) {
      var rows = add(li, "div", "rows");
      e.rows.forEach(function (r) { rows.appendChild(rowEl(r)); });
    }
    if (e.hex) hexDump(li, e);
    return li;
  }

  function renderEntries(list, entries, from, box) {
    var to = Math.min(entries.length, from + ENTRY_CHUNK);
    var frag = doc.createDocumentFragment();
    for (var i = from; i < to; i++) frag.appendChild(entryEl(entries[i]));
    list.appendChild(frag);
    if (to < entries.length) {
      var b = add(box, "button", "more", "Show " +
        Math.min(ENTRY_CHUNK, entries.length - to) + " more of " +
        (entries.length - to) + " remaining entries");
      b.type = "button";
      b.addEventListener("click", function () {
        b.remove();
        renderEntries(list, entries, to, box);
      });
    }
  }

  function renderWire(c) {
    var box = c.querySelector(".wire");
    if (!box || box.getAttribute("data-done")) return;
    var src = doc.getElementById(box.getAttribute("data-src"));
    var data;
    try {
      data = JSON.parse(src.textContent);
    } catch (err) {
      box.textContent = "The wire log could not be read.";
      return;
    }
    box.setAttribute("data-done", "1");
    box.textContent = "";
    var h = add(box, "h3", "", "Wire log ");
    add(h, "span", "muted", data.total + " entr" + (data.total === 1 ? "y" : "ies"));
    var notes = [];
    if (data.entries.length < data.total)
      notes.push("the first " + data.entries.length + " are shown");
    if (data.rowsOmitted)
      notes.push(data.rowsOmitted + " decoded rows left out");
    if (data.trunc) notes.push("the log was cut at the runner's size bound");
    if (notes.length) add(box, "p", "muted", notes.join("; ") +
      " (results.json holds the whole log).");
    var list = add(box, "ol", "entries");
    renderEntries(list, data.entries, 0, box);
  }

  cases.forEach(function (c) {
    c.addEventListener("toggle", function () { if (c.open) renderWire(c); });
  });

  /* ---- #case-ID ---- */

  function openFromHash() {
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (err) { /* keep it raw */ }
    var c = id ? doc.getElementById(id) : null;
    if (!c || !c.classList.contains("case")) return;
    /* A link to a case the filters hide (a pass, from matrix.html) shows
       every case rather than one the reader cannot see. */
    if (c.hidden) showAll();
    c.closest("details.group").open = true;
    c.open = true;
    renderWire(c);
    cases.forEach(function (o) { o.classList.toggle("hl", o === c); });
    c.scrollIntoView({ block: "start" });
  }

  /* The filter bar sticks to the top on wide screens: a case scrolled to
     (by the browser or by us) lands just below it, not under it. */
  function measureFilters() {
    var nav = doc.querySelector("nav.filters");
    var sticky = getComputedStyle(nav).position === "sticky";
    doc.documentElement.style.setProperty("--filters-h",
      (sticky ? nav.getBoundingClientRect().height : 0) + "px");
  }
  measureFilters();
  window.addEventListener("resize", measureFilters);
  window.addEventListener("hashchange", openFromHash);

  /* ---- print: failed cases open with their wire logs ---- */

  var reopen = [];
  window.addEventListener("beforeprint", function () {
    reopen = [];
    cases.forEach(function (c) {
      var v = c.getAttribute("data-v");
      if ((v === "fail" || v === "error") && !c.open) {
        reopen.push(c);
        c.open = true;
        renderWire(c);
      }
    });
    [].forEach.call(doc.querySelectorAll("details.group, details.hex"),
      function (d) { if (!d.open) { reopen.push(d); d.open = true; } });
  });
  window.addEventListener("afterprint", function () {
    reopen.forEach(function (d) { d.open = false; });
    reopen = [];
  });

  apply();
  openFromHash();
})();
