// The editing kit's browser side (pages/_edit.py): the modals' × and the focus after a refused save.
// Plain browser behaviour, no Dash callback: it reads and writes no data.
(function () {
  // The header's × (data-portal-close) clicks the modal's own »Annuller«/»Luk«, so the modal's callback
  // closes it and forgets its state exactly as after that button.
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-portal-close]") : null;
    if (!target) {
      return;
    }
    var button = document.getElementById(target.getAttribute("data-portal-close"));
    if (button) {
      button.click();
    }
  });

  function focusable(root) {
    return root.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), " +
                              "textarea:not([disabled]), button:not([disabled]), [tabindex]:not([tabindex='-1'])");
  }

  // The first field with a message, in the form's order: a text input marked invalid, or the first control
  // beside a non-empty message of a checklist or group (data-portal-feedback).
  function firstInvalid(form) {
    var candidates = form.querySelectorAll(".is-invalid, [data-portal-feedback]");
    for (var i = 0; i < candidates.length; i++) {
      var el = candidates[i];
      if (!el.hasAttribute("data-portal-feedback")) {
        if (el.matches("input, select, textarea")) {
          return el;
        }
        continue;
      }
      if (!el.textContent.trim()) {
        continue;
      }
      var group = el.closest("fieldset") || el.parentElement;
      var control = group ? focusable(group) : null;
      if (control) {
        return control;
      }
    }
    return null;
  }

  // A refused save renders the summary anew (a new key each time): move focus to the first field with
  // a message, or to the summary itself when the refusal names no field, so it is read out and in view.
  function summaryShown(summary) {
    if (!summary.textContent.trim()) {
      return;
    }
    var modal = summary.closest(".modal") || document;
    var field = firstInvalid(modal);
    if (field) {
      field.focus();
      if (field.scrollIntoView) {
        field.scrollIntoView({block: "center"});
      }
      return;
    }
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }

  var observer = new MutationObserver(function (mutations) {
    var seen = [];
    mutations.forEach(function (mutation) {
      var node = mutation.target instanceof Element ? mutation.target : mutation.target.parentElement;
      var summary = node ? node.closest("[data-portal-summary]") : null;
      if (summary && mutation.addedNodes.length && seen.indexOf(summary) === -1) {
        seen.push(summary);
      }
    });
    // After the browser has applied the whole answer (field messages and invalid marks included).
    if (seen.length) {
      window.setTimeout(function () { seen.forEach(summaryShown); }, 0);
    }
  });

  function start() {
    observer.observe(document.body, {childList: true, subtree: true});
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
