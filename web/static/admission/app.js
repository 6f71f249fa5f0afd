/* Behaviour of the pages, kept out of the HTML: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  // The end date belongs to the temporary track only (Art. 1): hide it for a regular duty unless it carries an error.
  var endDate = document.getElementById("field-end_date");
  var tracks = document.querySelectorAll('input[name="track"]');
  function syncEndDate() {
    var temporary = document.querySelector('input[name="track"][value="temporary"]');
    if (endDate && temporary) endDate.hidden = !temporary.checked && !endDate.classList.contains("has-error");
  }
  tracks.forEach(function (radio) { radio.addEventListener("change", syncEndDate); });
  syncEndDate();

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
