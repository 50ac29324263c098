// dcc.Upload renders its <input type="file"> without a label, so a screen reader announces a bare
// "choose file" with no purpose (axe: "Form elements must have labels", critical). Name each such
// input after the visible text of its drop zone ("Træk filer hertil, eller vælg filer"), also for
// uploads drawn later by callbacks (modals, tabs).
(function () {
  function label(root) {
    var inputs = (root.querySelectorAll ? root : document).querySelectorAll('input[type="file"]:not([aria-label])');
    inputs.forEach(function (input) {
      var zone = input.parentElement;
      var text = zone ? zone.textContent.replace(/\s+/g, " ").trim() : "";
      input.setAttribute("aria-label", text || "Vælg fil");
    });
  }
  function start() {
    label(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) { label(node); }
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
