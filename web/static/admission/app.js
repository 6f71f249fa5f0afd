/* Behaviour of the pages, kept out of the HTML: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  // Fields that belong to one branch of a choice (data-branch: the choosing field's name; data-branch-values: the
  // values that show it) are shown only when that value is chosen, or when they carry an error. The server ignores
  // the fields of the branches not chosen, so the page also works without this script (every field shown).
  function syncBranches() {
    document.querySelectorAll("[data-branch]").forEach(function (wrapper) {
      var chosen = document.querySelector('[name="' + wrapper.dataset.branch + '"]:checked');
      var values = wrapper.dataset.branchValues.split(" ");
      wrapper.hidden = !(chosen && values.indexOf(chosen.value) >= 0) && !wrapper.classList.contains("has-error");
    });
  }
  var controllers = {};
  document.querySelectorAll("[data-branch]").forEach(function (wrapper) { controllers[wrapper.dataset.branch] = true; });
  Object.keys(controllers).forEach(function (name) {
    document.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      input.addEventListener("change", syncBranches);
    });
  });
  syncBranches();

  // 全选 / 全不选 for a long list of checkboxes (e.g. the townships of a request).
  document.querySelectorAll("[data-select-all]").forEach(function (wrapper) {
    var boxes = wrapper.querySelectorAll('input[type="checkbox"]');
    var bar = document.createElement("div");
    bar.className = "select-all";
    [[wrapper.dataset.selectAll, true], [wrapper.dataset.selectNone, false]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn small secondary";
      button.textContent = pair[0];
      button.addEventListener("click", function () {
        boxes.forEach(function (box) { if (!box.disabled) box.checked = pair[1]; });
      });
      bar.appendChild(button);
    });
    wrapper.querySelector("label").after(bar);
  });

  // The header menu is served open (it works without JavaScript); on a phone it starts folded, on a wide screen it
  // stays open (its summary is hidden there).
  var menu = document.querySelector("header.top details.menu");
  if (menu && window.matchMedia) {
    var phone = window.matchMedia("(max-width: 760px)");
    var fold = function () { menu.open = !phone.matches; };
    fold();
    if (phone.addEventListener) phone.addEventListener("change", fold);
  }

  // A choice that applies at once (e.g. the dashboard's year) submits its form.
  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () { field.form.submit(); });
  });
})();
