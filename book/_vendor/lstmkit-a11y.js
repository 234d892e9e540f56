// Accessibility fixes for the widgets of the static book (tools/build_book.py serves this file).
// The ipywidgets embed manager draws each slider as a noUiSlider whose handle has role="slider"
// but no accessible name: give it the slider's own description ("forget f", "steps T", ...), so a
// screen reader says which slider has the focus.
(function () {
  function nameSliders() {
    document.querySelectorAll(".widget-slider").forEach(function (widget) {
      var label = widget.querySelector(".widget-label");
      var name = label ? label.textContent.trim() : "";
      widget.querySelectorAll(".noUi-handle").forEach(function (handle) {
        if (!handle.hasAttribute("aria-label")) {
          handle.setAttribute("aria-label", name || "slider");
        }
      });
    });
  }
  new MutationObserver(nameSliders).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", nameSliders);
})();
