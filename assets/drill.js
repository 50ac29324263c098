// Buttons drawn by the server that ask a guarded callback for something through a store:
// - drill-through buttons (pages/_drill.py `drill_button`): a click puts the figure's goal and month in the
//   page's request store, whose guarded callback opens the cases behind it;
// - request buttons (pages/_kpi_table.py: a column header's sort, a goal's code): a click puts the button's
//   value in its store.
// Delegated, because Dash draws the buttons after this script has run; `at` makes a second click on the same
// button a change as well. The server checks every value like any browser-sent value.
(function () {
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-drill], [data-request]") : null;
    if (!target || !window.dash_clientside || !window.dash_clientside.set_props) {
      return;
    }
    if (target.hasAttribute("data-drill")) {
      window.dash_clientside.set_props(target.getAttribute("data-drill"), {
        data: {goal: target.getAttribute("data-goal"), month: target.getAttribute("data-month"), at: Date.now()},
      });
      return;
    }
    window.dash_clientside.set_props(target.getAttribute("data-request"), {
      data: {value: target.getAttribute("data-value"), at: Date.now()},
    });
  });
})();
