// Barcode scanning for inventory pages. A keyboard-wedge scanner needs nothing: it types into
// the focused scan field and presses Enter. Where the browser has the BarcodeDetector API,
// a "Use camera" button reads codes from the camera and submits the same form.
(function () {
  "use strict";
  var form = document.querySelector("[data-scan-form]");
  if (!form) return;
  var field = form.querySelector("[data-scan-field]");
  var button = form.querySelector("[data-camera-button]");
  var video = form.querySelector("[data-camera-video]");
  if (field && !document.querySelector("#line-form")) field.focus();
  var lineQty = document.querySelector("#line-form input[name=quantity]");
  if (lineQty) { lineQty.focus(); lineQty.select(); }
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !button) return;
  button.classList.remove("d-none");
  var stream = null;
  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      var detector = new window.BarcodeDetector({ formats: formats });
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (s) {
          stream = s;
          video.srcObject = s;
          video.classList.remove("d-none");
          return video.play().then(function () { loop(detector); });
        });
    }).catch(function () { stop(); button.disabled = true; });
  });
  function loop(detector) {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      if (codes.length) {
        field.value = codes[0].rawValue;
        stop();
        form.submit();
      } else {
        window.requestAnimationFrame(function () { loop(detector); });
      }
    }).catch(function () { window.setTimeout(function () { loop(detector); }, 250); });
  }
  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.classList.add("d-none");
  }
})();
