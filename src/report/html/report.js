// Sorting and filtering for the summary table, chart clicks that filter it, and the timeline's
// scale. Without it the page is still complete, only static. Each group is a <tbody> (its row
// and its drill-down); groups are only reordered and hidden: no text is ever inserted as HTML.
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

  // Chart filters ("facets"): exact values a row must have, one per kind, set by clicking a bar,
  // a legend entry or a timeline segment. Each kind reads its row attribute.
  var facetTests = {
    principal: function (row, value) { return row.dataset.principal === value; },
    bucket: function (row, value) { return row.dataset.bucket === value; },
    action: function (row, value) { return row.dataset.action === value; },
    policy: function (row, value) { return row.dataset.policy === value; },
    account: function (row, value) {
      return (row.dataset.accounts || '').split(' ').indexOf(value) !== -1;
    },
    denied_by: function (row, value) {
      return (row.dataset.deniedBy || '').split(' ').indexOf(value) !== -1;
    },
    verdict: function (row, value) {
      return (row.dataset.verdicts || '').split(' ').indexOf(value) !== -1;
    },
    // A time bin [from, to) in hours: the group was active in it (first seen before its end,
    // last seen at or after its start).
    time: function (row, value) {
      var first = Number(row.dataset.first);
      var last = Number(row.dataset.last);
      return row.dataset.first !== undefined && first < value.to && last >= value.from;
    },
  };
  var facetNames = {
    principal: 'principal', bucket: 'bucket', action: 'action', policy: 'denying policy',
    account: 'account', denied_by: 'denied by', verdict: 'verdict', time: 'time',
  };
  var facets = new Map();
  var facetBox = document.getElementById('facets');

  // Filtering: every typed word must match, every chart filter must hold, and with the boxes
  // checked, the row must be new / must not be noise.
  var filter = document.getElementById('filter');
  var onlyNew = document.getElementById('only-new');
  var hideNoise = document.getElementById('hide-noise');
  var shown = document.getElementById('shown');
  var count = new Intl.NumberFormat('en-US');
  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var newOnly = onlyNew !== null && onlyNew.checked;
    var noNoise = hideNoise !== null && hideNoise.checked;
    var visible = 0;
    groups.forEach(function (group) {
      var row = group.rows[0];
      var text = haystacks.get(group);
      var match = words.every(function (word) {
        return text.indexOf(word) !== -1;
      }) && (!newOnly || row.classList.contains('new'))
        && (!noNoise || !row.classList.contains('noise'));
      facets.forEach(function (facet, kind) {
        match = match && facetTests[kind](row, facet.value);
      });
      group.hidden = !match;
      if (match) {
        visible += 1;
      }
    });
    shown.textContent = visible === groups.length
      ? count.format(groups.length) + ' rows'
      : count.format(visible) + ' of ' + count.format(groups.length) + ' rows';
    renderFacets();
  }

  // The filters in force, as buttons that drop them. Built with textContent only.
  function renderFacets() {
    if (facetBox === null) {
      return;
    }
    while (facetBox.firstChild) {
      facetBox.removeChild(facetBox.firstChild);
    }
    facets.forEach(function (facet, kind) {
      var chip = document.createElement('button');
      chip.type = 'button';
      chip.dataset.facet = kind;
      chip.title = 'Show the rows of every ' + facetNames[kind] + ' again';
      chip.textContent = facetNames[kind] + ': ' + facet.label + ' ✕';
      chip.addEventListener('click', function () {
        setFacet(kind, null);
      });
      facetBox.appendChild(chip);
    });
    document.querySelectorAll('button[data-facet][data-value]').forEach(function (button) {
      var facet = facets.get(button.dataset.facet);
      button.setAttribute('aria-pressed', String(facet !== undefined && facet.value === button.dataset.value));
    });
  }

  // Sets (or, with null or the value already set, drops) the filter of one kind.
  function setFacet(kind, facet) {
    var current = facets.get(kind);
    var same = current !== undefined && facet !== null && current.key === facet.key;
    if (facet === null || same) {
      facets.delete(kind);
    } else {
      facets.set(kind, facet);
    }
    applyFilter();
  }

  document.querySelectorAll('button[data-facet][data-value]').forEach(function (button) {
    button.addEventListener('click', function () {
      var value = button.dataset.value;
      setFacet(button.dataset.facet, {
        key: value,
        value: value,
        label: button.dataset.label || value,
      });
      table.scrollIntoView({ block: 'start' });
    });
  });
  // A timeline segment: the rows of its series (denied by, or judged) active in its time bin;
  // again drops both.
  document.querySelectorAll('svg.timeline rect[data-series]').forEach(function (rect) {
    rect.addEventListener('click', function () {
      var series = rect.dataset.series;
      var kind = rect.dataset.facet || 'denied_by';
      var from = Number(rect.dataset.from);
      var to = Number(rect.dataset.to);
      var time = facets.get('time');
      var by = facets.get(kind);
      if (time !== undefined && time.key === from + '-' + to && by !== undefined && by.key === series) {
        facets.delete('time');
        facets.delete(kind);
      } else {
        var legend = Array.prototype.find.call(
          document.querySelectorAll('button.series[data-value]'),
          function (button) { return button.dataset.value === series; }
        );
        facets.set(kind, { key: series, value: series, label: legend ? legend.dataset.label : series });
        facets.set('time', { key: from + '-' + to, value: { from: from, to: to }, label: rect.dataset.label });
      }
      applyFilter();
      table.scrollIntoView({ block: 'start' });
    });
  });

  filter.addEventListener('input', applyFilter);
  [onlyNew, hideNoise].forEach(function (box) {
    if (box !== null) {
      box.addEventListener('change', applyFilter);
    }
  });

  // The timeline's scale: both are drawn, the box shows one.
  var logScale = document.getElementById('log-scale');
  var timeline = document.getElementById('timeline');
  if (logScale !== null && timeline !== null) {
    logScale.addEventListener('change', function () {
      timeline.classList.toggle('log', logScale.checked);
    });
  }
}());
