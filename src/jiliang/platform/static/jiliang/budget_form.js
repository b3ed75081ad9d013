// The budget form's input table: add a row (a copy of the <template> with the next formset
// index) and remove one (tick its DELETE box, which the server honours, and hide it).
// Without JavaScript the table still works: one row, and the DELETE boxes are visible.
document.addEventListener("DOMContentLoaded", function () {
  const table = document.getElementById("budget-inputs");
  const template = document.getElementById("budget-row-template");
  const add = document.getElementById("budget-add-row");
  const total = document.getElementById("id_inputs-TOTAL_FORMS");
  const max = document.getElementById("id_inputs-MAX_NUM_FORMS");
  if (!table || !template || !add || !total) return;
  const body = table.tBodies[0];

  function renumber() {
    let n = 0;
    for (const row of body.rows) {
      if (!row.classList.contains("removed")) row.cells[0].textContent = String(++n);
    }
  }

  add.addEventListener("click", function () {
    const index = Number(total.value);
    if (max && index >= Number(max.value)) return;
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    renumber();
    const first = body.rows[body.rows.length - 1].querySelector("input[type=text]");
    if (first) first.focus();
  });

  body.addEventListener("change", function (event) {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.name.endsWith("-DELETE") && box.checked) {
      box.closest("tr").classList.add("removed");
      renumber();
    }
  });
});
