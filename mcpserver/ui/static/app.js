// loadgen dashboard: the live run view polls the run's status each second
// and fills the numbers in. No framework; the pages work without it.
(function () {
  'use strict';

  var live = document.getElementById('live');
  if (!live || live.dataset.ended === 'true') {
    return;
  }
  var url = live.dataset.statusUrl;
  var updates = 0;
  var failures = 0;

  function set(key, text) {
    var el = live.querySelector('[data-k="' + key + '"]');
    if (el) {
      el.textContent = text;
    }
    return el;
  }

  function fixed(v, digits) {
    return typeof v === 'number' ? v.toFixed(digits) : '–';
  }

  function show(st) {
    var state = set('state', st.state);
    if (state) {
      state.className = 'badge state-' + st.state;
    }
    var plan = st.plan_now || {};
    var now = st.live_now || {};
    set('current', plan.name || '');
    set('elapsed', fixed(plan.elapsed_s, 1));
    set('planned', fixed(plan.planned_s, 1));
    set('rps', fixed(now.rps, 1));
    set('p95_ms', fixed(now.p95_ms, now.p95_ms < 10 ? 2 : 1));
    set('error_pct', fixed(now.error_pct, 2));
    set('vus', typeof now.vus === 'number' ? String(now.vus) : '–');
    set('requests', typeof now.requests === 'number' ? String(now.requests) : '–');
    set('errors', typeof now.errors === 'number' ? String(now.errors) : '–');
    set('error', st.error || '');
    set('message', st.message || '');
    var bar = live.querySelector('[data-k="progress"]');
    if (bar) {
      bar.value = st.progress || 0;
      bar.textContent = Math.round((st.progress || 0) * 100) + '%';
    }
    updates++;
    document.getElementById('updates').textContent = String(updates);
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (resp) {
        return resp.json().then(function (body) {
          if (!resp.ok) {
            throw new Error(body.error || resp.statusText);
          }
          return body;
        });
      })
      .then(function (st) {
        failures = 0;
        show(st);
        if (st.ended) {
          // The server renders the final table and the analyze button.
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function (err) {
        failures++;
        set('error', 'status: ' + err.message);
        if (failures < 30) {
          window.setTimeout(poll, 2000);
        }
      });
  }

  window.setTimeout(poll, 1000);
})();
