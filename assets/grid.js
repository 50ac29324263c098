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
})();
