// The newsroom editor's conveniences: a live preview, autosave, and a warning before
// leaving with unsaved changes. Every one is an extra: the editor works without this
// script (the Preview button renders on the server, and Save is a plain form post).
// Loaded with `defer` from a file because the newsroom's CSP allows no inline script.
(function () {
  "use strict";

  var form = document.querySelector("form.editor");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) {
    return;
  }
  var previewUrl = form.getAttribute("data-preview");
  var autosaveUrl = form.getAttribute("data-autosave");
  var previewBody = document.getElementById("preview-body");
  var statusLine = document.getElementById("autosave-status");

  // How long typing must pause before the preview is rendered again.
  var PREVIEW_PAUSE_MS = 400;
  // How often unsaved changes are autosaved.
  var AUTOSAVE_EVERY_MS = 15000;

  /** The form's fields, encoded as the browser would post them. */
  function fields() {
    return new URLSearchParams(new FormData(form));
  }

  // What the server has (the form as loaded; none when the page came back from a
  // preview or a refused save, which hold typing not yet saved), and what the last
  // autosave holds.
  var loaded = form.hasAttribute("data-unsaved") ? null : fields().toString();
  var autosaved = loaded;
  var submitting = false;

  function unsaved() {
    return !submitting && fields().toString() !== loaded;
  }

  /** Posts the form's fields; same-origin fetch sends the Origin the newsroom checks. */
  function post(url) {
    return fetch(url, {
      method: "POST",
      body: fields(),
      credentials: "same-origin",
      headers: { Accept: "application/json, text/html" },
    });
  }

  // ---- Live preview: the same renderer as the public page, on the server.
  var body = form.querySelector("[name=body]");
  var format = form.querySelector("[name=format]");
  if (previewUrl && previewBody && body) {
    var timer = null;
    // Answers can arrive out of order; only the newest request's answer is shown.
    var latest = 0;
    var preview = function () {
      var mine = ++latest;
      post(previewUrl)
        .then(function (r) {
          return r.ok ? r.text() : Promise.reject(r.status);
        })
        .then(function (html) {
          if (mine === latest) {
            previewBody.innerHTML = html;
          }
        })
        .catch(function () {
          // The Preview button still works; nothing to say here.
        });
    };
    var later = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(preview, PREVIEW_PAUSE_MS);
    };
    body.addEventListener("input", later);
    if (format) {
      format.addEventListener("change", later);
    }
  }

  // ---- Autosave: only an existing article's edit page has somewhere to keep it.
  var saving = false;
  function say(text) {
    if (statusLine) {
      statusLine.textContent = text;
    }
  }
  function autosave() {
    var now = fields().toString();
    if (saving || submitting || now === loaded || now === autosaved) {
      return;
    }
    saving = true;
    post(autosaveUrl)
      .then(function (r) {
        return r.json().then(
          function (answer) {
            if (r.ok) {
              autosaved = now;
              say(answer.message);
            } else {
              var why = answer && answer.error ? answer.error.message : "";
              say("Not autosaved: " + (why || "the server refused it."));
            }
          },
          function () {
            say("Not autosaved: the server did not answer as expected.");
          }
        );
      })
      .catch(function () {
        say("Not autosaved: the newsroom cannot be reached. Keep this page open.");
      })
      .then(function () {
        saving = false;
      });
  }
  if (autosaveUrl) {
    window.setInterval(autosave, AUTOSAVE_EVERY_MS);
  }

  // ---- Leaving with unsaved changes asks first (an autosave is not a save).
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("pageshow", function (event) {
    // Back from the next page through the cache: the form is live again.
    if (event.persisted) {
      submitting = false;
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (unsaved()) {
      event.preventDefault();
      // Older browsers need a return value to ask.
      event.returnValue = "";
    }
  });
})();
