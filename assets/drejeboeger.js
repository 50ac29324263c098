// Drejebøger print view: the "Udskriv" button opens the browser's print dialog; the print
// stylesheet (print.css) leaves only the runbook on the page.
document.addEventListener("click", function (event) {
  var target = event.target && event.target.closest ? event.target.closest("[data-runbook-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
