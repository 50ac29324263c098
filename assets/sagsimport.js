// Indlæs sager (/sa/sagsimport): choose a case file and send it as a plain multipart POST.
// The browser streams the file from disk (FormData + XMLHttpRequest, never read into a string), with
// the CSRF token from the _csrf_token cookie in the X-CSRFToken header and a progress bar for the
// transfer. The answer's job id goes into the page's store; a Dash callback then polls the import.
// Loaded on every page (Dash serves assets/*.js everywhere): it acts only on this page's buttons.
(function () {
  "use strict";
  // The ids of pages/ids/sagsimport.py.
  var IDS = {
    choose: "sagsimport-vaelg",
    chosen: "sagsimport-valgt",
    send: "sagsimport-send",
    transfer: "sagsimport-overfoersel",
    bar: "sagsimport-overfoersel-bar",
    label: "sagsimport-overfoersel-tekst",
    message: "sagsimport-besked",
    job: "sagsimport-job"
  };
  var FAILED = {
    400: "Filen kunne ikke indlæses. Genindlæs siden, og prøv igen.",
    401: "Du er blevet logget ud. Log ind igen, og prøv igen.",
    403: "Kun medarbejdere i Statens Administration kan indlæse sager.",
    413: "Filen er for stor."
  };
  var chosen = null;

  function el(id) {
    return document.getElementById(id);
  }

  function say(text, isError) {
    var box = el(IDS.message);
    if (!box) {
      return;
    }
    box.textContent = text;
    box.className = "mb-2 " + (isError ? "alert alert-danger" : "text-success");
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)_csrf_token=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toLocaleString("da-DK", {maximumFractionDigits: 1}) + " MB";
  }

  function showTransfer(visible, percent) {
    var box = el(IDS.transfer);
    var bar = el(IDS.bar);
    var label = el(IDS.label);
    if (box) {
      box.hidden = !visible;
    }
    if (bar) {
      bar.value = percent;
    }
    if (label) {
      label.textContent = percent >= 100 ? "Filen er sendt; serveren gemmer den …" : "Sender filen: " + percent + " %";
    }
  }

  function pick() {
    // A file input outside Dash's tree: Dash has no file input component, and this one is never rendered.
    var input = document.createElement("input");
    input.type = "file";
    input.accept = ".csv,.xlsx";
    input.addEventListener("change", function () {
      chosen = input.files && input.files[0] ? input.files[0] : null;
      var label = el(IDS.chosen);
      if (label) {
        label.textContent = chosen ? chosen.name + " (" + megabytes(chosen.size) + ")" : "Ingen fil valgt";
      }
      var send = el(IDS.send);
      if (send) {
        send.disabled = !chosen;
      }
      say("", false);
    });
    input.click();
  }

  function answer(xhr) {
    try {
      return JSON.parse(xhr.responseText);
    } catch (error) {
      return null;
    }
  }

  function send(button) {
    if (!chosen) {
      say("Vælg en fil først.", true);
      return;
    }
    var max = Number(button.getAttribute("data-max-bytes"));
    if (max && chosen.size > max) {
      say("Filen er for stor (" + megabytes(chosen.size) + "). Den må højst fylde " + megabytes(max) + ".", true);
      return;
    }
    var form = new FormData();
    form.append("fil", chosen, chosen.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", button.getAttribute("data-upload-url"));
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        showTransfer(true, Math.floor((100 * event.loaded) / event.total));
      }
    });
    xhr.addEventListener("load", function () {
      var body = answer(xhr);
      showTransfer(false, 0);
      button.disabled = false;
      if (xhr.status === 202 && body && body.job) {
        say(body.message || "Filen er modtaget.", false);
        chosen = null;
        button.disabled = true;
        var label = el(IDS.chosen);
        if (label) {
          label.textContent = "Ingen fil valgt";
        }
        if (window.dash_clientside && window.dash_clientside.set_props) {
          window.dash_clientside.set_props(IDS.job, {data: {job: body.job}});
        }
      } else {
        say((body && body.error) || FAILED[xhr.status] || "Filen kunne ikke sendes. Prøv igen.", true);
      }
    });
    xhr.addEventListener("error", function () {
      showTransfer(false, 0);
      button.disabled = false;
      say("Forbindelsen til Kundeportalen blev afbrudt. Prøv igen.", true);
    });
    button.disabled = true;
    say("", false);
    showTransfer(true, 0);
    xhr.send(form);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("#" + IDS.choose + ", #" + IDS.send) : null;
    if (!target) {
      return;
    }
    event.preventDefault();
    if (target.id === IDS.choose) {
      pick();
    } else {
      send(target);
    }
  });
})();
