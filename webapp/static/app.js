// Small progressive enhancement; every page works without it.
(function () {
  "use strict";
  // "/" focuses the search box, as on many search sites.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.querySelector('input[name="q"]');
    if (box) { event.preventDefault(); box.focus(); box.select(); }
  });
  // A submitted form says it is busy and ignores a second submission.
  document.querySelectorAll("form.search-box").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var box = form.querySelector('input[name="q"]');
      if (box && !box.value.trim()) { event.preventDefault(); box.focus(); return; }
      if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
      form.setAttribute("aria-busy", "true");
    });
  });
  // Move keyboard focus to the cited passage so screen readers start there.
  var cited = document.querySelector('[data-cited="true"]');
  if (cited) { cited.focus({ preventScroll: location.hash === "#" + cited.id }); }
  // Coming back with the browser's back button: the form is usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.search-box").forEach(function (form) { form.removeAttribute("aria-busy"); });
  });
})();
