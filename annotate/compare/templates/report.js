
(function () {
  "use strict";
  /* The filter: every row with data-o (its outlets' numbers) and data-a (its actors'
     numbers) is hidden unless it holds the chosen outlet(s) and actor. A count in the
     grid chooses its two outlets. Nothing is fetched; the page's text is never read
     as markup here (only hidden flags and counts change). */
  var outlet = document.getElementById("f-outlet");
  var other = document.getElementById("f-with");
  var actor = document.getElementById("f-actor");
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-o]"));
  var tokens = rows.map(function (row) {
    return { o: " " + row.getAttribute("data-o") + " ", a: " " + (row.getAttribute("data-a") || "") + " " };
  });
  function has(list, value) { return !value || list.indexOf(" " + value + " ") >= 0; }
  function apply() {
    rows.forEach(function (row, i) {
      var t = tokens[i];
      row.hidden = !(has(t.o, outlet.value) && has(t.o, other.value) && has(t.a, actor.value));
    });
    document.querySelectorAll("[data-rows]").forEach(function (section) {
      var all = section.querySelectorAll("[data-o]");
      var shown = 0;
      all.forEach(function (row) { if (!row.hidden) { shown += 1; } });
      var count = section.querySelector(".shown");
      if (count) {
        count.textContent = shown === all.length ? "" : "(" + shown + " of " + all.length + " shown by the filter)";
      }
    });
  }
  [outlet, other, actor].forEach(function (select) { select.addEventListener("change", apply); });
  document.getElementById("f-clear").addEventListener("click", function () {
    outlet.value = ""; other.value = ""; actor.value = ""; apply();
  });
  document.querySelectorAll("a[data-pair]").forEach(function (link) {
    link.addEventListener("click", function () {
      var pair = link.getAttribute("data-pair").split(" ");
      outlet.value = pair[0];
      other.value = pair[1] === pair[0] ? "" : pair[1];
      actor.value = "";
      apply();
    });
  });
})();
