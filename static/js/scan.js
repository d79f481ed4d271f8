// Scanner-friendly SKU fields (progressive enhancement: without this file, Enter simply submits the form).
// A barcode scanner types the code and presses Enter. In a form with more to fill in, Enter in a field marked
// data-scan moves to the next field instead of submitting half a form; in the last field it submits as usual.
// The first empty data-scan field of a page gets the focus, so a scan can start at once.
(function () {
  "use strict";
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.type !== "submit" && el.tagName !== "BUTTON" && el.tagName !== "FIELDSET";
    });
  }
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || !el.hasAttribute || !el.hasAttribute("data-scan") || !el.form) return;
    var list = fields(el.form);
    var next = list[list.indexOf(el) + 1];
    if (next) {
      event.preventDefault();
      next.focus();
      if (next.select) next.select();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("main input[data-scan]");
    if (first && !first.value && !document.querySelector("main [aria-invalid=true]")) first.focus();
  });
})();
