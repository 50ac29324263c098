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
})();
