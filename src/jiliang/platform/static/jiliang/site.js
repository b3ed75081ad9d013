// Behaviour that would otherwise be inline event handlers, which the Content-Security-Policy
// (script-src 'self') does not run: <select data-autosubmit> submits its form on change,
// <button data-print> prints the page.
document.addEventListener("change", function (event) {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  const el = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (el) {
    event.preventDefault();
    window.print();
  }
});
