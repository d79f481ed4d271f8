// Scanner-friendly forms (progressive enhancement: without this file, Enter simply submits the form).
// A barcode scanner types the code and presses Enter. Enter in a field marked data-scan moves on to the next field
// instead of submitting half a form. In a scanning form (data-scan-flow: stock moves, work orders) every one-line
// field does so, and Enter in the last one submits it (a select too, where Enter alone would do nothing); other
// forms (line editors) keep Enter's own meaning outside their SKU fields. A field marked data-scan-skip (an optional
// typed one, such as a receipt's unit cost) is left out of the walk: Tab reaches it, Enter in it submits. A textarea (lots) keeps Enter for its new lines and is reached with Tab; Ctrl+Enter there
// submits. After a scanned SKU, the item's name and stock are said next to its field (aria-live).
// Focus: on load, the first field the server marked invalid; else the first empty data-scan field of the page; else
// the page's scan box (data-scan-box). After an htmx post that leaves nothing focused, the scan box again.
(function () {
  "use strict";
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.type !== "submit" && el.tagName !== "BUTTON" &&
        el.tagName !== "FIELDSET" && el.tagName !== "OUTPUT" && el.tagName !== "TEXTAREA" && !el.readOnly &&
        !el.hasAttribute("data-scan-skip");
    });
  }
  function scanForm(el) {
    if (!el.form) return null;
    if (el.form.hasAttribute("data-scan-flow") || (el.hasAttribute && el.hasAttribute("data-scan"))) return el.form;
    return null;
  }
  function submit(form) {
    var button = form.querySelector("button[type=submit], input[type=submit]");
    if (form.requestSubmit) form.requestSubmit(button || undefined); else form.submit();
  }
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || event.isComposing || !el.form) return;
    var form = scanForm(el);
    if (!form) return;
    if (el.tagName === "TEXTAREA") {
      if (event.ctrlKey || event.metaKey) { event.preventDefault(); submit(form); }
      return;
    }
    if (el.tagName === "BUTTON" || el.type === "submit") return;
    var list = fields(form);
    var index = list.indexOf(el);
    if (index < 0) return;
    if (el.hasAttribute("data-scan")) describe(el);
    var next = list[index + 1];
    if (next) {
      event.preventDefault();
      next.focus();
      if (next.select) next.select();
    } else if (form.hasAttribute("data-scan-flow")) {
      event.preventDefault();
      submit(form);
    }  // else: Enter does what it does in that form
  });
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-scan")) describe(event.target);
  });

  // "BOLT-10: Bolt M10. 15 pcs on hand, 12 available." under the SKU field, from the item-stock endpoint.
  function describe(el) {
    var url = document.body.getAttribute("data-item-stock-url");
    var code = el.value.trim();
    if (!url || !code || el.getAttribute("data-described") === code) return;
    el.setAttribute("data-described", code);
    var out = document.getElementById(el.id + "-stock");
    if (!out) {
      out = document.createElement("output");
      out.id = el.id + "-stock";
      out.className = "scan-stock";
      out.setAttribute("aria-live", "polite");
      out.setAttribute("for", el.id);
      el.insertAdjacentElement("afterend", out);
    }
    var request = new XMLHttpRequest();
    request.open("GET", url + "?sku=" + encodeURIComponent(code));
    request.onload = function () {
      if (el.getAttribute("data-described") === code) out.textContent = request.status === 200 ? request.responseText : "";
    };
    request.send();
  }

  function scanBox() {
    return document.querySelector("[data-scan-box]");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("main [aria-invalid=true]");
    if (invalid) { invalid.focus(); return; }
    var first = Array.prototype.find.call(document.querySelectorAll("main [data-scan]"), function (el) { return !el.value; });
    var target = first || scanBox();
    if (target && (document.activeElement === document.body || !document.activeElement)) target.focus();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var verb = event.detail && event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb !== "post") return;
    var box = scanBox();
    if (box && (document.activeElement === document.body || !document.activeElement || !document.body.contains(document.activeElement))) box.focus();
  });
})();
