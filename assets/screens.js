/* The keyboard of the screen tabs (layouts/topbar.py): Tab reaches them (they are buttons),
   Enter or Space opens one, the arrow keys, Home and End move between the visible tabs
   (WAI-ARIA tabs pattern). */
document.addEventListener("keydown", function (event) {
  var tab = event.target;
  if (!tab || tab.getAttribute("role") !== "tab" || !tab.closest(".screen-tabs")) { return; }
  // the tabs offered (the others are display: none, assets/screens.css)
  var tabs = Array.prototype.filter.call(tab.closest(".screen-tabs").querySelectorAll("[role=tab]"),
                                         function (t) { return t.offsetParent !== null; });
  var i = tabs.indexOf(tab), next = null;
  if (event.key === "ArrowRight") { next = tabs[(i + 1) % tabs.length]; }
  else if (event.key === "ArrowLeft") { next = tabs[(i - 1 + tabs.length) % tabs.length]; }
  else if (event.key === "Home") { next = tabs[0]; }
  else if (event.key === "End") { next = tabs[tabs.length - 1]; }
  if (next) { event.preventDefault(); next.focus(); next.click(); }
});

/* Which screen is shown and drawn, in the browser (callbacks/shell.py calls it with the ids in `c`).

   Which screen, tabs and buttons are shown is one set of classes on the page, returned
   (assets/screens.css): "file-open" (the client's screens, no search screen, the strip),
   "office-open" (the back office: Model, Drift and the expert mode, with a file open),
   "on-<screen>". Then the tabs whose state changes ("active", aria-selected), and what each
   screen's view store holds: the visible screen's view is set to this file and language (its
   callback then draws it, nothing else does); a hidden screen is left as it is, or blanked once
   ({client: null}) when it holds another client (or the expert mode, now off).

   Only what changes is written, with set_props: every prop a callback returns, even unchanged, is an
   update of the Dash renderer's store, and every update runs a selector for every component of the
   page. The file's heading takes the focus once the file opens (a screen reader announces it). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  screens: {
    show: function (c, screen, state, backOffice, expert, simScreen, views) {
      var set = window.dash_clientside.set_props;
      var client = state && state.client !== undefined && state.client !== null ? state.client : null;
      var open = client !== null, lang = (state && state.lang) || "fr";
      var office = open && backOffice !== null && backOffice !== undefined && backOffice === client;
      var allowed = function (n) {
        return open ? c.client.indexOf(n) >= 0 || (office && c.manager.indexOf(n) >= 0) : c.client.indexOf(n) < 0;
      };
      var active = allowed(screen) ? screen : (open ? "score" : "search");
      var kind = function (n) { return c.client.indexOf(n) >= 0 ? "client" : c.manager.indexOf(n) >= 0 ? "manager" : "search"; };
      if (state && state.lang) { document.documentElement.lang = state.lang; }
      var shown = window.__shownScreens;
      if (shown === undefined) {
        // the sections and the strip start hidden (nothing flashes while the page loads): the classes decide
        c.names.forEach(function (n) { set(c.screen + n, {hidden: false}); });
        set(c.strip, {hidden: false});
        shown = {screen: "search", client: null};     // the layout's active tab, no file
      }
      c.names.filter(function (n) { return (n === active) !== (n === shown.screen); }).forEach(function (n) {
        set(c.tab + n, {className: "nav-link tab-" + kind(n) + (n === active ? " active" : ""),
                        "aria-selected": n === active ? "true" : "false"});
      });
      if (!open && shown.client !== null) { set(c.search, {value: null}); }   // the file closed: an empty search box
      window.__shownScreens = {screen: active, client: client};
      var expertOn = office && !!expert;
      c.viewed.forEach(function (n, i) {
        var cur = views[i];
        if (n === active) {
          var want = c.client.indexOf(n) >= 0 ? {lang: lang, client: client} : {lang: lang};
          if (n === "why") { want.expert = expertOn; }
          if (!cur || cur.lang !== want.lang || cur.client !== want.client || cur.expert !== want.expert) {
            set(c.view + n, {data: want});
          }
          return;
        }
        var held = cur && cur.client !== undefined && cur.client !== null;
        if (held && (cur.client !== client || (cur.expert && !expertOn))) {
          set(c.view + n, {data: {lang: cur.lang, client: null}});
        }
      });
      // the What-if levers follow "simulate" (filled) and "search" (emptied): emptied when the file
      // closes, or when another file replaces it without closing (the browser's back and forward)
      var replaced = open && shown.client !== null && shown.client !== client;
      if (simScreen === "simulate" && (!open || replaced)) { set(c.sim, {data: "search"}); }
      else if (active === "simulate" && simScreen !== "simulate") { set(c.sim, {data: "simulate"}); }
      if (open && window.__focusedFile !== client) {
        window.__focusedFile = client;
        var t0 = performance.now();
        var focus = function () {
          var h = document.getElementById(c.heading);
          if (h && h.dataset.client === String(client)) { h.focus(); return; }
          if (window.__focusedFile === client && performance.now() - t0 < 10000) { requestAnimationFrame(focus); }
        };
        requestAnimationFrame(focus);
      } else if (!open) { window.__focusedFile = null; }
      return "app" + (open ? " file-open" : "") + (office ? " office-open" : "") + " on-" + active;
    }
  }
});
