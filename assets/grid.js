// Shared dash-ag-grid functions of the portal (referenced from Python as {"function": "name(params)"}).
(function () {
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  var FORMULA_START = ["=", "+", "-", "@", "\t", "\r"];

  // Spreadsheets run a cell that starts with = + - @ as a formula (CSV injection): prefix it with '.
  // With a processCellCallback the grid no longer applies the column's valueFormatter on export,
  // so format here: the file then holds what the user saw (Danish dates, not ISO).
  dagfuncs.csvSafeCell = function (params) {
    var value = params.value;
    if (typeof params.formatValue === "function" && value !== null && value !== undefined) {
      value = params.formatValue(value);
    }
    var lead = typeof value === "string" ? value.replace(/^[ \t\r\n\u00a0\u3000\ufeff\u200b]+/, "") : "";
    if (typeof value === "string" && (FORMULA_START.indexOf(value.charAt(0)) !== -1 ||
                                      FORMULA_START.indexOf(lead.charAt(0)) !== -1)) {
      return "'" + value;
    }
    return value;
  };

  // A phone's column set (pages/_grid.py, `phone_columns`): below the phone width the grid shows
  // only the columns marked in their context, in the marked order and with their phone overrides;
  // above it, the desktop columns come back unchanged. Called on the grid's size and column events,
  // so it follows a turned phone and columns a callback sets anew. Idempotent: no event loop.
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 48rem)") : null;
  var desktopDefs = new WeakMap();

  function phoneMark(def) {
    return def && def.context && def.context.phone ? def.context.phone : null;
  }

  function isPhoneSet(defs) {
    return defs.length > 0 && defs.every(function (d) { return d.context && d.context.phoneShown; });
  }

  dagfuncs.portalPhoneColumns = function (params) {
    var api = params && params.api;
    if (!api || (api.isDestroyed && api.isDestroyed())) {
      return;
    }
    var defs = api.getColumnDefs() || [];
    var phone = !!(PHONE && PHONE.matches);
    if (phone && !isPhoneSet(defs) && defs.some(phoneMark)) {
      desktopDefs.set(api, defs);
      // The other columns are hidden, not dropped: the CSV export names every desktop column.
      var shown = defs.filter(phoneMark).sort(function (a, b) {
        return phoneMark(a).rank - phoneMark(b).rank;
      });
      var chosen = shown.concat(defs.filter(function (d) { return !phoneMark(d); })).map(function (d) {
        var mark = phoneMark(d);
        var out = Object.assign({}, d, mark ? mark.overrides || {} : {});
        // The desktop's measured width would override the phone's flex share.
        delete out.width;
        out.hide = !mark;
        out.context = Object.assign({}, d.context, {phoneShown: true});
        return out;
      });
      api.setGridOption("columnDefs", chosen);
    } else if (!phone && isPhoneSet(defs) && desktopDefs.has(api)) {
      // Hiding is column state: a definition without `hide` would keep the phone's hidden columns.
      api.setGridOption("columnDefs", desktopDefs.get(api).map(function (d) {
        return Object.assign({}, d, {hide: d.hide === true});
      }));
    }
  };
})();
