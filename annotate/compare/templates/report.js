(function () {
  "use strict";
  /* The filter: every row with data-o (its outlets' numbers) and data-a (its actors'
     numbers) is hidden unless it holds the chosen outlet(s) and actor. A count in the
     grid chooses its two outlets. Nothing is fetched; the filter changes only hidden
     flags and counts.

     What a <details> folds away (the folds, details.fold, and each shared fact's quotes)
     is held in a <noscript>, which the parser keeps as raw text while scripting is on:
     the browser builds none of it at load. It is built on first open, and a fold also
     when the filter must count its rows, or when a link, or the address's #fragment,
     points inside it. What is parsed is the page's own markup, as the template wrote it
     with every text escaped: article text stays text. */
  var outlet = document.getElementById("f-outlet");
  var other = document.getElementById("f-with");
  var actor = document.getElementById("f-actor");
  var folds = Array.prototype.slice.call(document.querySelectorAll("details.fold"));
  var rows = null;
  var tokens = null;
  function collect() {
    rows = Array.prototype.slice.call(document.querySelectorAll("[data-o]"));
    tokens = rows.map(function (row) {
      return { o: " " + row.getAttribute("data-o") + " ", a: " " + (row.getAttribute("data-a") || "") + " " };
    });
  }
  function held(fold) { return fold.querySelector(":scope > noscript"); }
  /* Builds what `details` holds; true if that brought rows the filter must see. */
  function build(details) {
    var source = held(details);
    if (!source) { return false; }
    var parsed = document.createElement("template");
    parsed.innerHTML = source.textContent;
    var added = parsed.content.querySelector("[data-o]") !== null;
    details.replaceChild(parsed.content, source);
    if (added) { rows = null; }
    return added;
  }
  function has(list, value) { return !value || list.indexOf(" " + value + " ") >= 0; }
  function apply() {
    if (outlet.value || other.value || actor.value) {
      folds.forEach(function (fold) { if (fold.closest("[data-rows]")) { build(fold); } });
    }
    if (!rows) { collect(); }
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
  function open(details) {
    if (build(details)) { apply(); }
  }
  /* The fold whose content holds the element `id` (the template writes id="..." with
     the value escaped as Jinja escapes it), if it is not built yet. */
  function holding(id) {
    var needle = 'id="' + id.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;").replace(/'/g, "&#39;") + '"';
    return folds.filter(function (fold) {
      var source = held(fold);
      return source && source.textContent.indexOf(needle) >= 0;
    })[0];
  }
  /* Builds and opens the fold holding the element `id`; true if it had to. */
  function reveal(id) {
    if (!id || document.getElementById(id)) { return false; }
    var fold = holding(id);
    if (!fold) { return false; }
    open(fold);
    fold.open = true;
    return true;
  }
  function fragment(href) {
    try { return decodeURIComponent(href.slice(1)); } catch (e) { return href.slice(1); }
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
  /* A click on a summary builds its details before the browser opens it, so it opens
     with its content; a link into a fold not built yet builds it before the browser
     follows the link, which then scrolls to its target (and marks it :target). */
  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    var summary = event.target.closest("summary");
    if (summary && summary.parentNode.tagName === "DETAILS") { open(summary.parentNode); }
    var link = event.target.closest("a[href^='#']");
    if (link) { reveal(fragment(link.getAttribute("href"))); }
  }, true);
  /* Opened another way (the keyboard, a script): toggle does not bubble, but is caught. */
  document.addEventListener("toggle", function (event) {
    if (event.target.open) { open(event.target); }
  }, true);
  /* An address typed or pasted, or back and forward: the fold is built and the address
     followed again, now that its target exists. */
  function arrived() {
    if (reveal(fragment(location.hash))) { location.replace(location.href); }
  }
  window.addEventListener("hashchange", arrived);
  if (location.hash) { reveal(fragment(location.hash)); }
})();
