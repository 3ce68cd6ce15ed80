/* The only script: folds the menu behind a button on phones. Pages work without it. */
(function () {
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // Forms marked data-submit-once disable their button when sent (no inline handlers: CSP).
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var submit = form.querySelector("button");
        if (submit) submit.disabled = true;
      });
    });
    var button = document.querySelector(".navtoggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var nav = button.parentNode;
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();
