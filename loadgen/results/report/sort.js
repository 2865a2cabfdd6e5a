// Click (or Enter on) a column heading of a sortable table to sort its body
// rows; a second click reverses the order. Numeric cells carry their raw
// value in data-v. Footer rows (Total) stay where they are.
(function () {
  "use strict";
  if (!document.querySelectorAll) { return; }

  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) { return { n: false, v: "" }; }
    var raw = cell.getAttribute("data-v");
    if (raw !== null && raw !== "" && isFinite(Number(raw))) {
      return { n: true, v: Number(raw) };
    }
    return { n: false, v: (cell.textContent || "").trim().toLowerCase() };
  }

  function compare(a, b) {
    if (a.n && b.n) { return a.v - b.v; }
    if (a.n !== b.n) { return a.n ? -1 : 1; }
    return a.v < b.v ? -1 : (a.v > b.v ? 1 : 0);
  }

  function sortTable(table, th) {
    var body = table.tBodies && table.tBodies[0];
    if (!body) { return; }
    var col = parseInt(th.getAttribute("data-col"), 10);
    if (isNaN(col)) { return; }
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, i) {
      return { row: row, k: key(row, col), i: i };
    });
    keyed.sort(function (a, b) {
      return dir * compare(a.k, b.k) || a.i - b.i;
    });
    var heads = table.querySelectorAll("th[data-col]");
    for (var h = 0; h < heads.length; h++) { heads[h].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    keyed.forEach(function (e) { body.appendChild(e.row); });
  }

  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    var heads = table.querySelectorAll("th[data-col]");
    Array.prototype.forEach.call(heads, function (th) {
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "Sort by this column");
      th.addEventListener("click", function () { sortTable(table, th); });
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          sortTable(table, th);
        }
      });
    });
  });
})();
