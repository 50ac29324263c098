// Drill-through buttons (pages/_drill.py `drill_button`): a click puts the figure's goal and month in the
// page's request store, whose guarded callback opens the cases behind it. Delegated, because Dash draws the
// buttons after this script has run; `at` makes a second click on the same figure a change as well.
(function () {
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-drill]") : null;
    if (!target || !window.dash_clientside || !window.dash_clientside.set_props) {
      return;
    }
    window.dash_clientside.set_props(target.getAttribute("data-drill"), {
      data: {goal: target.getAttribute("data-goal"), month: target.getAttribute("data-month"), at: Date.now()},
    });
  });
})();
