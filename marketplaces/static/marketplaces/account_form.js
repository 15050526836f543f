// The marketplace account form: show only the credential keys the chosen marketplace uses.
(function () {
  "use strict";
  function update(select) {
    var code = select.value;
    document.querySelectorAll("input[data-marketplaces]").forEach(function (input) {
      var row = input.closest(".form-row") || input.parentElement;
      var used = !code || input.dataset.marketplaces.split(" ").indexOf(code) !== -1;
      row.hidden = !used;
      if (!used) { input.value = ""; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_marketplace");
    if (!select || select.disabled) { return; }
    select.addEventListener("change", function () { update(select); });
    update(select);
  });
})();
