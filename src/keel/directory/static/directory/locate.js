// "Use my location": asks the browser once, fills the hidden lat/lon fields and submits. Never required:
// without JavaScript, or if the person says no, the ZIP/city box works the same.
(function () {
  var button = document.getElementById("use-location");
  if (!button || !navigator.geolocation) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var status = document.getElementById("location-status");
    status.textContent = button.getAttribute("data-asking");
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(4);
      document.getElementById("lon").value = pos.coords.longitude.toFixed(4);
      document.getElementById("place").value = "";
      button.form.submit();
    }, function () {
      status.textContent = button.getAttribute("data-denied");
    }, { timeout: 10000, maximumAge: 600000 });
  });
})();
