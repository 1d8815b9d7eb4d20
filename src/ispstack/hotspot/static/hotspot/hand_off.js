// Posts the login form to the hotspot router as soon as the page loads; the
// form's button does the same without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("router-login");
  if (form) {
    form.submit();
  }
});
