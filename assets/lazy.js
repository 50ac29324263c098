// Sections below the fold (pages/_lazy.py `lazy_trigger`) are drawn when they first come near the view:
// a marker carries the id of a store, which is set to true once, firing the section's guarded callback.
// A marker counts as seen when its top is above the window's bottom edge plus a margin, so a jump past it
// (End key, a link further down) draws it too. It is armed only once the section above it is drawn (its
// data-lazy-after selector matches), else it would be in view while that section is still empty.
// Printing draws every waiting section first (print.js calls portalLazy.loadAll and waits for it).
(function () {
  var MARGIN = 150;
  var STILL_FRAMES = 6;
  var MAX_FRAMES = 120;
  var armed = [];

  function fire(marker) {
    if (marker.__portalLazyDone || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    marker.__portalLazyDone = true;
    window.dash_clientside.set_props(marker.getAttribute("data-lazy"), {data: true});
  }

  function check() {
    armed = armed.filter(function (marker) { return marker.isConnected && !marker.__portalLazyDone; });
    armed.forEach(function (marker) {
      if (marker.getBoundingClientRect().top < window.innerHeight + MARGIN) { fire(marker); }
    });
  }

  var checkPending = false;
  function checkSoon() {
    if (!checkPending) {
      checkPending = true;
      requestAnimationFrame(function () { checkPending = false; check(); });
    }
  }
  window.addEventListener("scroll", checkSoon, {passive: true});
  window.addEventListener("resize", checkSoon, {passive: true});

  var scanPending = false;
  function scan() {
    scanPending = false;
    document.querySelectorAll("[data-lazy]").forEach(function (marker) {
      if (marker.__portalLazyArmed) { return; }
      var after = marker.getAttribute("data-lazy-after");
      if (after && !document.querySelector(after)) { return; }
      marker.__portalLazyArmed = true;
      // Armed once the marker has stayed in place for a few frames: the section above has laid itself
      // out (a grid sizes itself to its rows over several frames), so it is judged where it will stay.
      var top = null, still = 0, frames = 0;
      (function settle() {
        var now = marker.getBoundingClientRect().top + window.scrollY;
        still = now === top ? still + 1 : 0;
        top = now;
        frames += 1;
        if (still >= STILL_FRAMES || frames >= MAX_FRAMES) { armed.push(marker); check(); return; }
        requestAnimationFrame(settle);
      })();
    });
  }
  // Dash draws pages after this script has run: look for new markers once per frame of changes.
  new MutationObserver(function () {
    if (!scanPending) { scanPending = true; requestAnimationFrame(scan); }
  }).observe(document.documentElement, {childList: true, subtree: true});

  // Still drawing: a callback's answer is awaited (Dash marks its outputs), or a chart waits for dcc.Graph's
  // code or plotly.js or is plotting (dcc.Graph's placeholder and the graph carry this class until drawn).
  function busy() {
    return !!document.querySelector('[data-dash-is-loading="true"], .dash-graph--pending');
  }

  window.portalLazy = {
    // Fire every waiting section; resolve when nothing is being drawn and the page has been quiet (no DOM
    // change) for 400 ms, or after 5 s. A section fired just before (in view on load, or scrolled to) is
    // waited for too: printing then would catch its chart half-way.
    loadAll: function () {
      var markers = Array.prototype.filter.call(document.querySelectorAll("[data-lazy]"), function (marker) {
        return !marker.__portalLazyDone;
      });
      markers.forEach(fire);
      if (!markers.length && !busy()) { return Promise.resolve(); }
      return new Promise(function (resolve) {
        var last = performance.now(), started = last;
        var watch = new MutationObserver(function () { last = performance.now(); });
        watch.observe(document.body, {childList: true, subtree: true, attributes: true});
        (function wait() {
          var now = performance.now();
          if ((!busy() && now - last >= 400) || now - started >= 5000) { watch.disconnect(); resolve(); return; }
          setTimeout(wait, 100);
        })();
      });
    },
  };
})();
