// Shared dash-ag-grid functions of the portal (referenced from Python as {"function": "name(params)"}).
(function () {
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  var FORMULA_START = ["=", "+", "-", "@", "\t", "\r"];
  var ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
  // Babel da_DK's abbreviated months (core/formatting.py da_date): "6. dec. 2026", "1. maj 2026".
  var MONTHS = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."];

  // Show an ISO date ("2026-12-06") as the portal's one date format ("6. dec. 2026"); sorting keeps the ISO value.
  dagfuncs.daDate = function (value) {
    var match = typeof value === "string" ? ISO_DATE.exec(value) : null;
    if (!match) {
      return value ? String(value) : "";
    }
    return parseInt(match[3], 10) + ". " + MONTHS[parseInt(match[2], 10) - 1] + " " + match[1];
  };

  // Spreadsheets run a cell that starts with = + - @ as a formula (CSV injection): prefix it with '.
  // With a processCellCallback the grid no longer applies the column's valueFormatter on export,
  // so format here: the file then holds what the user saw, but dates stay ISO 8601 (the CSV format).
  dagfuncs.csvSafeCell = function (params) {
    var value = params.value;
    // An ISO date stays ISO 8601 in a CSV file (for machines), as in the server's exports.
    var isoDate = typeof value === "string" && ISO_DATE.test(value);
    if (!isoDate && typeof params.formatValue === "function" && value !== null && value !== undefined) {
      value = params.formatValue(value);
    }
    var lead = typeof value === "string" ? value.replace(/^[ \t\r\n\u00a0\u3000\ufeff\u200b]+/, "") : "";
    if (typeof value === "string" && (FORMULA_START.indexOf(value.charAt(0)) !== -1 ||
                                      FORMULA_START.indexOf(lead.charAt(0)) !== -1)) {
      return "'" + value;
    }
    return value;
  };

  // The in-browser CSV export's header: a date column (shown with daDate, exported as ISO 8601 by
  // csvSafeCell) says its format, as the server's exports do (pages/_export.py ISO_DATE_HEADER).
  dagfuncs.csvHeader = function (params) {
    var column = params && params.column;
    var def = column && column.getColDef ? column.getColDef() : {};
    var name = params.api && params.api.getDisplayNameForColumn ?
      params.api.getDisplayNameForColumn(column, null) : (def.headerName || def.field || "");
    // Marked in Python (pages/_grid.py column_defs): by now the grid holds the formatter as a function.
    if (def.context && def.context.isoDate) {
      return name + " (ÅÅÅÅ-MM-DD)";
    }
    return name;
  };

  // An e-mail address may break after "@" and after each dot, never in the middle of a word: <wbr>
  // marks those points for display only (the cell's value, its copy and its CSV stay the plain address).
  var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  dagcomponentfuncs.PortalEmail = function (props) {
    var value = props.value === null || props.value === undefined ? "" : String(props.value);
    var h = window.React.createElement;
    var parts = value.split(/(?<=[@.])/);
    var children = [];
    parts.forEach(function (part, i) {
      if (i > 0) {
        children.push(h("wbr", {key: "w" + i}));
      }
      children.push(part);
    });
    return h("span", {className: "portal-email"}, children);
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
