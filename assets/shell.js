// The phone's menu button (pages/_shell.py): opens and closes the menu and the search fields.
// Plain browser behaviour, no Dash callback: it reads and writes no data, and a phone should not wait
// for a round trip to the server to open its menu. On wider screens the button is hidden and the
// menu always shown (assets/portal.css), so the class below changes nothing there.
(function () {
  var OPEN = "shell-menu-open";
  var TOGGLE = "shell-menu-toggle";

  function setOpen(open) {
    var button = document.getElementById(TOGGLE);
    document.body.classList.toggle(OPEN, open);
    if (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
  }

  function isOpen() {
    return document.body.classList.contains(OPEN);
  }

  // Delegated: Dash renders the header after this script has run.
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    if (target.closest("#" + TOGGLE)) {
      setOpen(!isOpen());
      return;
    }
    // Following a menu link closes the menu, so the next page starts at its content.
    if (isOpen() && target.closest("#shell-menu a")) {
      setOpen(false);
    }
  });

  // Escape closes the open menu and gives focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      var inMenu = event.target instanceof Element &&
        event.target.closest("#shell-menu, #" + TOGGLE);
      if (inMenu) {
        setOpen(false);
        var button = document.getElementById(TOGGLE);
        if (button) {
          button.focus();
        }
      }
    }
  });

  window.addEventListener("popstate", function () {
    setOpen(false);
  });
})();
