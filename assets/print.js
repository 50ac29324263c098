// "Udskriv" buttons carry data-print; the page's print stylesheet hides navigation and controls. Sections
// drawn only when scrolled into view (lazy.js) are drawn first, so the printout holds every chart.
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    var ready = window.portalLazy ? window.portalLazy.loadAll() : Promise.resolve();
    ready.then(function () { window.print(); });
  }
});
