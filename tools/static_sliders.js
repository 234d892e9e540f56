// Sliders that work on the static book page, without a kernel (tools/static_sliders.py writes the
// frames and the markup). Each .lstmkit-static-slider holds its frames as JSON: per mode a slider
// label, the slider's values, and per value an SVG file and the explorer's readout text. Moving the
// range input (or choosing another mode) swaps the picture and the readout; a frame is fetched
// only when it is first shown.
(function () {
  "use strict";

  function setup(root) {
    var spec = JSON.parse(root.querySelector("script.lstmkit-static-data").textContent);
    var range = root.querySelector("input[type=range]");
    var label = root.querySelector(".lstmkit-static-label");
    var value = root.querySelector("output.lstmkit-static-value");
    var readout = root.querySelector(".lstmkit-static-readout");
    var img = root.querySelector("img.lstmkit-static-frame");
    var modes = root.querySelectorAll("input[type=radio]");
    var mode = spec.modes[spec.start];

    function show(k) {
      var frame = mode.frames[k];
      range.value = String(k);
      range.setAttribute("aria-valuetext", mode.slider + " = " + frame.text);
      value.textContent = frame.text;
      readout.textContent = frame.readout;
      img.src = spec.base + frame.file;
      img.alt = frame.alt;
      root.dataset.mode = mode.key;
      root.dataset.value = String(frame.value);
    }

    function choose(key) {
      mode = spec.modes.filter(function (m) { return m.key === key; })[0];
      label.textContent = mode.slider;
      range.max = String(mode.frames.length - 1);
      show(mode.start);
    }

    range.addEventListener("input", function () { show(Number(range.value)); });
    modes.forEach(function (radio) {
      radio.addEventListener("change", function () { if (radio.checked) choose(radio.value); });
    });
    choose(mode.key);
  }

  function init() {
    document.querySelectorAll(".lstmkit-static-slider").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
