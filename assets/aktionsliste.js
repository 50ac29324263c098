// Aktionsliste: every item is a main row plus a full-width second row (description and detailed
// status), folded until opened. AG Grid's master/detail is Enterprise, so folding is done here:
// an external filter hides folded second rows and postSortRows keeps each second row under its item.
(function () {
  var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
  var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  var h = function () { return window.React.createElement.apply(window.React, arguments); };

  dagfuncs.aktionIsDetail = function (params) {
    var node = params && params.rowNode ? params.rowNode : params;
    return !!(node && node.data && node.data.kind === "detail");
  };

  // Only an item's first line can be selected (for Historik and SA's editing).
  dagfuncs.aktionIsMain = function (params) {
    var node = params && params.rowNode ? params.rowNode : params;
    return !!(node && node.data && node.data.kind === "main");
  };

  dagfuncs.aktionFilter = function (node) {
    return !node.data || node.data.kind !== "detail" || !!node.data.expanded;
  };

  dagfuncs.aktionPostSort = function (params) {
    var nodes = params.nodes, details = {}, mains = [], out = [];
    nodes.forEach(function (n) {
      if (n.data && n.data.kind === "detail") { details[n.data.id] = n; } else { mains.push(n); }
    });
    mains.forEach(function (n) {
      out.push(n);
      var d = n.data ? details[n.data.id] : null;
      if (d) { out.push(d); delete details[n.data.id]; }
    });
    Object.keys(details).forEach(function (k) { out.push(details[k]); });
    nodes.length = 0;
    Array.prototype.push.apply(nodes, out);
  };

  dagfuncs.aktionToggle = function (api, id) {
    var main = api.getRowNode("m-" + id), detail = api.getRowNode("d-" + id);
    if (!main || !main.data) { return; }
    var open = !main.data.expanded;
    main.setData(Object.assign({}, main.data, { expanded: open }));
    if (detail && detail.data) { detail.setData(Object.assign({}, detail.data, { expanded: open })); }
    api.onFilterChanged();
  };

  // Enter or Space on any cell of an item opens or closes its second row. A focused button or the
  // row's selection checkbox handles the key itself, so the grid must not toggle a second time.
  dagfuncs.aktionKey = function (params) {
    var e = params.event;
    if (!params.data || params.data.kind !== "main" || params.editing) { return false; }
    if (e.key !== "Enter" && e.key !== " ") { return false; }
    if (e.target && e.target.closest && e.target.closest("button, input")) { return true; }
    if (e.type === "keydown") {
      e.preventDefault();
      dagfuncs.aktionToggle(params.api, params.data.id);
    }
    return true;
  };

  // First guess of a second row's height; the renderer measures and corrects it once drawn.
  dagfuncs.aktionRowHeight = function (params) {
    if (!params.data || params.data.kind !== "detail") { return undefined; }
    var chars = (params.data.description || "").length + (params.data.status_detail || "").length;
    return 64 + 22 * Math.ceil(chars / 110);
  };

  // The grid redraws a cell only when the cell's own value (the id) changes, so a new rowData that
  // only changes `expanded` ("Udvid alle", "Fold alle sammen", a filter) kept the old arrow. The
  // toggle therefore reads the row's current data and redraws whenever that data changes, however
  // it changed: the arrow and aria-expanded come from the same `expanded` the filter reads.
  function useRowData(props) {
    var node = props.node;
    var redraw = window.React.useReducer(function (n) { return n + 1; }, 0)[1];
    var data = (node && node.data) || props.data || {};
    var drawn = window.React.useRef(data);
    drawn.current = data;
    window.React.useEffect(function () {
      if (!node || !node.addEventListener) { return undefined; }
      node.addEventListener("dataChanged", redraw);
      // A change between drawing and listening would otherwise be missed.
      if (node.data && node.data !== drawn.current) { redraw(); }
      return function () { node.removeEventListener("dataChanged", redraw); };
    }, [node]);
    return data;
  }

  dagcomponentfuncs.AktionToggle = function (props) {
    var data = useRowData(props);
    if (data.kind !== "main") { return null; }
    var open = !!data.expanded;
    var label = (open ? "Skjul" : "Vis") + " beskrivelse og status for aktion " + data.id;
    return h("button", {
      type: "button",
      className: "btn btn-link btn-sm p-0 aktion-toggle",
      "aria-expanded": open ? "true" : "false",
      "aria-controls": "aktion-detail-" + data.id,
      "aria-label": label,
      title: label,
      onClick: function (e) { e.stopPropagation(); dagfuncs.aktionToggle(props.api, data.id); }
    }, h("span", { "aria-hidden": "true", className: "aktion-chevron" }, open ? "\u25BE" : "\u25B8"), " ", String(data.id));
  };

  dagcomponentfuncs.AktionDeadline = function (props) {
    // The overdue mark can change while the deadline (the cell's value) stays the same.
    var data = useRowData(props);
    if (!data.deadline_label) { return null; }
    if (!data.overdue) { return h("span", null, data.deadline_label); }
    return h("span", { className: "aktion-overdue" },
      h("span", null, data.deadline_label), " ",
      h("span", { className: "aktion-overdue-flag" }, h("span", { "aria-hidden": "true" }, "\u26A0 "), "Overskredet"));
  };

  dagcomponentfuncs.AktionDetail = function (props) {
    var data = props.data || {};
    var ref = window.React.useRef(null);
    window.React.useEffect(function () {
      var el = ref.current;
      if (!el || !props.node || !props.api) { return; }
      var height = Math.ceil(el.getBoundingClientRect().height) + 2;
      if (Math.abs((props.node.rowHeight || 0) - height) > 2) {
        props.node.setRowHeight(height);
        props.api.onRowHeightChanged();
      }
    });
    // The full-width row has role=row: its content is one cell spanning every column.
    // The selection column counts too, so the span is read from the grid rather than fixed.
    var columns = props.api && props.api.getAllDisplayedColumns ? props.api.getAllDisplayedColumns().length : 8;
    return h("div", { ref: ref, className: "aktion-detail", id: "aktion-detail-" + data.id, role: "gridcell",
                      "aria-colspan": String(columns) },
      h("p", { className: "mb-1" }, h("strong", null, "Beskrivelse: "), data.description || "Ingen beskrivelse."),
      h("p", { className: "mb-0" }, h("strong", null, "Detaljeret status: "), data.status_detail || "Ingen detaljeret status."),
      // The meeting the item was agreed at, linked to its year on Møder (the server built the path).
      data.meeting && data.meeting_href ? h("p", { className: "mb-0 mt-1" }, h("strong", null, "Møde: "),
        h("a", { href: data.meeting_href }, data.meeting)) : null);
  };
})();
