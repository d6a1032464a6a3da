/* The keyboard of the screen tabs (layouts/topbar.py): Tab reaches them (they are buttons),
   Enter or Space opens one, the arrow keys, Home and End move between the visible tabs
   (WAI-ARIA tabs pattern). */
document.addEventListener("keydown", function (event) {
  var tab = event.target;
  if (!tab || tab.getAttribute("role") !== "tab" || !tab.closest(".screen-tabs")) { return; }
  var tabs = Array.prototype.filter.call(tab.closest(".screen-tabs").querySelectorAll("[role=tab]"),
                                         function (t) { return !t.hidden; });
  var i = tabs.indexOf(tab), next = null;
  if (event.key === "ArrowRight") { next = tabs[(i + 1) % tabs.length]; }
  else if (event.key === "ArrowLeft") { next = tabs[(i - 1 + tabs.length) % tabs.length]; }
  else if (event.key === "Home") { next = tabs[0]; }
  else if (event.key === "End") { next = tabs[tabs.length - 1]; }
  if (next) { event.preventDefault(); next.focus(); next.click(); }
});
