/* bizforge console: progressive enhancement only; every page works without it. */
(function () {
  "use strict";

  function text(el, value) { if (el) { el.textContent = value; } }

  /* Upload with a progress bar; the server answers with a redirect to the findings. */
  function upload(form) {
    var bar = form.querySelector("progress");
    var error = form.querySelector("[data-upload-error]");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      if (bar) { bar.hidden = false; bar.value = 0; }
      if (error) { error.hidden = true; }
      xhr.upload.addEventListener("progress", function (e) {
        if (bar && e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
          return;
        }
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var found = doc.querySelector(".error");
        var fix = doc.querySelector(".error + p");
        if (error) {
          error.hidden = false;
          text(error, (found ? found.textContent : "HTTP " + xhr.status) +
                      (fix ? " " + fix.textContent : ""));
        }
        if (bar) { bar.hidden = true; }
      });
      xhr.addEventListener("error", function () {
        if (error) { error.hidden = false; text(error, "network error"); }
      });
      xhr.send(new FormData(form));
    });
  }

  /* Live progress of a training job (Server-Sent Events). */
  function job(section) {
    if (!window.EventSource) { return; }
    var source = new EventSource(section.getAttribute("data-events"));
    var shown = section.getAttribute("data-status");
    var list = document.getElementById("job-events");
    var bar = document.getElementById("job-progress");
    source.addEventListener("progress", function (e) {
      var event = JSON.parse(e.data);
      if (list) {
        var item = document.createElement("li");
        var words = [event.event];
        if (event.name) { words.push(event.name); }
        if (event.stage) { words.push(event.stage); }
        if (typeof event.score === "number") { words.push(event.score.toFixed(4)); }
        item.textContent = words.join(" ");
        list.appendChild(item);
        list.scrollTop = list.scrollHeight;
      }
    });
    source.addEventListener("status", function (e) {
      var s = JSON.parse(e.data);
      text(document.getElementById("job-stage"), s.stage || "–");
      text(document.getElementById("job-tried"), s.tried + (s.total ? " / " + s.total : ""));
      text(document.getElementById("job-best"), s.best === null ? "–" :
           s.best + (s.metric ? " (" + s.metric + ")" : ""));
      if (bar) { bar.max = s.total || 1; bar.value = s.tried; }
      if (s.status !== shown) { source.close(); window.location.reload(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), upload);
    Array.prototype.forEach.call(document.querySelectorAll("select[data-autosubmit]"),
      function (select) {
        select.addEventListener("change", function () { select.form.submit(); });
      });
    var section = document.querySelector("[data-events]");
    if (section) { job(section); }
  });
}());
