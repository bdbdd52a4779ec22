// Sorting and filtering for the summary table. Without it the page is still complete, only
// static. Each group is a <tbody> (its row and its drill-down); groups are only reordered and
// hidden: no text is ever inserted as HTML.
(function () {
  'use strict';
  var table = document.getElementById('summary');
  if (!table) {
    return;
  }
  var groups = Array.prototype.slice.call(table.tBodies);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  var haystacks = new Map(groups.map(function (group) {
    return [group, group.textContent.toLowerCase()];
  }));

  function sortKey(group, column, numeric) {
    var cell = group.rows[0].cells[column];
    if (numeric) {
      var value = cell.dataset.sort;
      return value === undefined || value === '' ? -Infinity : Number(value);
    }
    return cell.textContent.trim();
  }

  function compare(a, b, numeric) {
    if (numeric) {
      return a < b ? -1 : a > b ? 1 : 0;
    }
    return collator.compare(a, b);
  }

  headers.forEach(function (header, column) {
    var button = header.querySelector('button');
    if (!button) {
      return;
    }
    var numeric = header.dataset.type === 'number';
    button.addEventListener('click', function () {
      // A new column sorts large-to-small for numbers and A-to-Z for text; the same column flips.
      var current = header.getAttribute('aria-sort');
      var ascending = current === null ? !numeric : current !== 'ascending';
      headers.forEach(function (other) {
        other.removeAttribute('aria-sort');
      });
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var direction = ascending ? 1 : -1;
      var keyed = Array.prototype.map.call(table.tBodies, function (group) {
        return [sortKey(group, column, numeric), group];
      });
      keyed.sort(function (a, b) {
        return direction * compare(a[0], b[0], numeric);
      });
      var ordered = document.createDocumentFragment();
      keyed.forEach(function (pair) {
        ordered.appendChild(pair[1]);
      });
      table.appendChild(ordered);
    });
  });

  // Filtering: every typed word must match, and with "only new" checked, the row must be new.
  var filter = document.getElementById('filter');
  var onlyNew = document.getElementById('only-new');
  var shown = document.getElementById('shown');
  var count = new Intl.NumberFormat('en-US');
  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var newOnly = onlyNew !== null && onlyNew.checked;
    var visible = 0;
    groups.forEach(function (group) {
      var text = haystacks.get(group);
      var match = words.every(function (word) {
        return text.indexOf(word) !== -1;
      }) && (!newOnly || group.rows[0].classList.contains('new'));
      group.hidden = !match;
      if (match) {
        visible += 1;
      }
    });
    shown.textContent = visible === groups.length
      ? count.format(groups.length) + ' rows'
      : count.format(visible) + ' of ' + count.format(groups.length) + ' rows';
  }
  filter.addEventListener('input', applyFilter);
  if (onlyNew !== null) {
    onlyNew.addEventListener('change', applyFilter);
  }
}());
