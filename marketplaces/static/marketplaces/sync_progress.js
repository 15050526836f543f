/* Live sync-job progress in the admin.
 *
 * Elements of a queued or running job carry data-sync-job="<progress URL>" and
 * data-sync-field="<what they show>". This script polls each URL (a session-authenticated
 * admin JSON view) and updates them until the job has finished. Loaded as a static file:
 * the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 1500;

  function setText(element, value) {
    element.textContent = value === null || value === undefined ? "" : String(value);
  }

  function renderProgress(element, data) {
    var bar = element.querySelector("progress");
    var label = element.querySelector(".mp-progress__label");
    if (bar) {
      bar.max = data.total || 1;
      bar.value = data.total ? data.processed : (data.active ? 0 : 1);
      bar.textContent = data.percent + "%";
    }
    if (label) {
      setText(label, data.processed + " / " + data.total);
    }
  }

  function renderState(element, data) {
    var badge = element.querySelector(".mp-status") || element;
    badge.className = "mp-status mp-status--" + data.state;
    setText(badge, data.state_label);
  }

  function render(elements, data) {
    elements.forEach(function (element) {
      var field = element.getAttribute("data-sync-field");
      if (field === "progress") {
        renderProgress(element, data);
      } else if (field === "state") {
        renderState(element, data);
      } else if (field === "cancel") {
        element.hidden = !data.active;
      } else if (Object.prototype.hasOwnProperty.call(data, field)) {
        setText(element, data[field]);
      }
      element.setAttribute("data-sync-state", data.state);
    });
  }

  function watch(url, elements) {
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          render(elements, data);
          if (data.active) {
            window.setTimeout(poll, INTERVAL_MS);
          } else if (document.body.classList.contains("change-form")) {
            // The job's own page: load it again for what only a finished job shows (errors, times).
            window.location.reload();
          }
        })
        .catch(function (error) {
          // The page stays as it is; a reload shows the job again.
          elements.forEach(function (element) {
            element.setAttribute("data-sync-error", String(error.message || error));
          });
        });
    }
    poll();
  }

  function start() {
    var byUrl = {};
    document.querySelectorAll("[data-sync-job]").forEach(function (element) {
      var url = element.getAttribute("data-sync-job");
      (byUrl[url] = byUrl[url] || []).push(element);
    });
    Object.keys(byUrl).forEach(function (url) {
      watch(url, byUrl[url]);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
