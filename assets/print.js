// "Udskriv" buttons carry data-print; the page's print stylesheet hides navigation and controls.
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
