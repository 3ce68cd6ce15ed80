/* The only script: folds the menu behind a button on phones. Pages work without it. */
(function () {
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".navtoggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var nav = button.parentNode;
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();
