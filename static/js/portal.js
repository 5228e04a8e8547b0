// QMS Portal behaviour: no inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.classList && el.classList.contains("js-autosubmit") && el.form) {
    el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// A list of people that follows the department chosen beside it (data-department-from = the department
// select's id; data-departments = {person's id: [ids of the departments he works in]}).
function qmsFilterPeople(select) {
  var department = document.getElementById(select.getAttribute("data-department-from"));
  if (!department) { return; }
  var chosen = parseInt(department.value, 10);
  var map = JSON.parse(select.getAttribute("data-departments") || "{}");
  Array.prototype.forEach.call(select.options, function (option) {
    var fits = !option.value || !chosen || (map[option.value] || []).indexOf(chosen) !== -1;
    option.hidden = !fits;
    option.disabled = !fits;
    if (!fits && option.selected) { select.value = ""; }
  });
}
document.addEventListener("change", function (event) {
  var el = event.target;
  if (!el.id) { return; }
  document.querySelectorAll('select[data-department-from="' + el.id + '"]').forEach(qmsFilterPeople);
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-department-from]").forEach(qmsFilterPeople);
});
