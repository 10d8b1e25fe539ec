/* matrix.html behaviour: the filters. The table itself is static HTML. */
(function () {
  "use strict";

  var doc = document;
  var rows = [].slice.call(doc.querySelectorAll("table.matrix tbody tr"));
  var boxes = [].slice.call(doc.querySelectorAll("input[name=verdict]"));
  var disagree = doc.getElementById("m-disagree");
  var areaSel = doc.getElementById("m-area");
  var search = doc.getElementById("m-search");
  var shown = doc.getElementById("shown");
  var nomatch = doc.getElementById("nomatch");

  rows.forEach(function (r) {
    r.wsVerdicts = r.getAttribute("data-vs").trim().split(" ");
    r.wsText = r.querySelector("th").textContent.toLowerCase();
  });

  function apply() {
    var want = {};
    boxes.forEach(function (b) { want[b.value] = b.checked; });
    var only = disagree.checked, area = areaSel.value;
    var q = search.value.trim().toLowerCase();
    var total = 0;
    rows.forEach(function (r) {
      var ok = (!only || r.getAttribute("data-disagree") === "1") &&
        r.wsVerdicts.some(function (v) { return want[v]; }) &&
        (!area || r.getAttribute("data-area") === area) &&
        (!q || r.wsText.indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) total++;
    });
    shown.textContent = "Showing " + total + " of " + rows.length + " cases";
    nomatch.hidden = total !== 0;
  }

  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  disagree.addEventListener("change", apply);
  areaSel.addEventListener("change", apply);
  search.addEventListener("input", apply);
  apply();
})();
