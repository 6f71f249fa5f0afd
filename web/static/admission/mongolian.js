// The admin's preview of a Mongolian name redraws itself from the field as one types (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".mongolian-preview[data-source]").forEach(function (preview) {
    var source = document.getElementById(preview.dataset.source);
    if (!source) { return; }
    var redraw = function () {
      var lines = source.value.split(/\n/).map(function (line) { return line.trim(); }).filter(Boolean);
      preview.querySelectorAll(".horizontal, .vertical").forEach(function (box) {
        box.textContent = "";
        lines.forEach(function (line) {
          var span = document.createElement("span");
          span.className = "line";
          span.textContent = line;
          box.appendChild(span);
        });
      });
    };
    source.addEventListener("input", redraw);
  });
});
