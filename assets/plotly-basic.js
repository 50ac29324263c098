// Plotly for the portal's charts: the basic bundle (scatter and bar, all the portal draws) of the same
// plotly.js version as the full bundle dcc.Graph would load, 1.2 MB instead of 4.8 MB. Parsing and compiling
// the full bundle was the largest single part of the browser's work on Rapporter and Information.
// dcc.Graph loads plotly.js from window._dashPlotlyJSURL, which the Dash renderer sets on start; this getter
// keeps it pointing at the basic bundle (assets/vendor, not loaded on its own: app.py's assets_ignore).
// tests/test_plotly_bundle.py checks that the version matches the installed plotly package.
(function () {
  var FILE = "assets/vendor/plotly-basic-4.1.1.min.js";

  function prefix() {
    var config = document.getElementById("_dash-config");
    try {
      return (config && JSON.parse(config.textContent).requests_pathname_prefix) || "/";
    } catch (error) {
      return "/";
    }
  }

  Object.defineProperty(window, "_dashPlotlyJSURL", {
    configurable: true,
    get: function () {
      return prefix() + FILE;
    },
    set: function () {},
  });
})();
