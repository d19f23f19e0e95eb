// The explorer's page: plain ES module, no framework, nothing from the network but this server's API.
// The server is the source of truth for labels: every click is one request that changes one photo's label.

const $ = (sel) => document.querySelector(sel);
const state = { info: null, hits: [], labels: new Map(), query: null, pending: 0, chain: Promise.resolve() };

function sessionName() {
  return $('#session').value.trim() || 'default';
}

function showMessage(text) {
  const box = $('#message');
  box.textContent = text || '';
  box.hidden = !text;
}

function ms(v) {
  return v === undefined || v === null ? '' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
}

/** Calls the API; a 4xx/5xx becomes an Error carrying the server's message. */
async function api(method, route, body, type) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = type ? body : JSON.stringify(body);
    init.headers['content-type'] = type || 'application/json';
  }
  let res;
  try {
    res = await fetch(route, init);
  } catch (e) {
    throw new Error(`the explorer's server did not answer (${e.message}): is it still running?`);
  }
  const text = await res.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = { error: text };
  }
  if (!res.ok) throw new Error(data.error || `${res.status} ${res.statusText}`);
  return data;
}

function selected(sel) {
  return [...$(sel).selectedOptions].map((o) => o.value).filter(Boolean);
}

function numberField(sel, name, min, max) {
  const raw = $(sel).value.trim();
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || v < min || v > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return v;
}

/** The box filter's bounds that are filled in, checked as the server checks them. */
function boxFilter() {
  const box = {};
  const max = state.info?.limits.boxPixels ?? 100000;
  for (const [key, sel, name] of [
    ['minWidth', '#box-min-width', 'box width ≥'],
    ['maxWidth', '#box-max-width', 'box width ≤'],
    ['minHeight', '#box-min-height', 'box height ≥'],
    ['maxHeight', '#box-max-height', 'box height ≤'],
  ]) {
    if ($(sel).value.trim() !== '' || !$(sel).validity.valid) box[key] = numberField(sel, name, 0, max);
  }
  return box;
}

function searchSettings() {
  return {
    session: sessionName(),
    k: numberField('#k', 'k', 1, state.info?.limits.k ?? 1000),
    backend: $('#backend').value,
    metric: $('#metric').value,
    efSearch: numberField('#ef', 'efSearch', 1, state.info?.limits.efSearch ?? 4096),
    filters: {
      breeds: selected('#filter-breeds'),
      poses: selected('#filter-poses'),
      unlabelled: $('#filter-unlabelled').checked,
      box: boxFilter(),
    },
  };
}

/** The SQL the store ran, under "show SQL"; hidden when FAISS answered. */
function showSql(sql) {
  $('#sql').hidden = !sql;
  $('#sql-text').textContent = sql ? sql.text : '';
}

/** Metrics the chosen backend does not serve are greyed out (the server refuses them too). */
function syncMetrics() {
  const served = state.info?.backends[$('#backend').value]?.metrics ?? ['ip'];
  for (const o of $('#metric').options) o.disabled = !served.includes(o.value);
  if (!served.includes($('#metric').value)) $('#metric').value = served[0];
}

/**
 * Runs a user action after the ones before it (one at a time, none dropped: a blur's "change" of the session
 * field and the click that caused it both run), with its error as the page's message.
 */
function guarded(fn) {
  state.pending++;
  document.body.classList.add('busy');
  const run = async () => {
    showMessage('');
    try {
      await fn();
    } catch (e) {
      showMessage(e.message);
    } finally {
      if (--state.pending === 0) document.body.classList.remove('busy');
    }
  };
  state.chain = state.chain.then(run);
  return state.chain;
}

async function search(query) {
  const settings = searchSettings();
  const t0 = performance.now();
  const r = await api('POST', 'api/search', { ...settings, query });
  state.query = query;
  state.metric = settings.metric;
  render(
    r.hits,
    r.filtered
      ? `No photos found, though ${r.filtered} pass the filters: try a larger efSearch or the exact backend.`
      : 'No photos: nothing passes the filters.',
  );
  showSql(r.sql);
  const filtered = r.filtered === null ? '' : `, ${r.filtered} photos pass the filters`;
  $('#status').textContent =
    `${r.query}: ${r.hits.length} photos from ${r.backend}${filtered}; ` +
    `embedding ${ms(r.ms.embed)}, search ${ms(r.ms.search)}, server ${ms(r.ms.total)}, ` +
    `page ${ms(performance.now() - t0)}`;
}

function tile(hit, i) {
  const el = document.createElement('div');
  el.className = 'tile';
  el.tabIndex = 0;
  el.dataset.id = String(hit.id);
  el.dataset.index = String(i);
  const img = document.createElement('img');
  img.alt = `${hit.breed} ${hit.file}`;
  img.loading = 'lazy';
  img.src = `api/thumb/${hit.id}`;
  img.addEventListener('error', () => {
    const ph = document.createElement('div');
    ph.className = 'placeholder';
    ph.textContent = hit.file;
    img.replaceWith(ph);
  });
  const caption = document.createElement('div');
  caption.className = 'caption';
  const breed = document.createElement('span');
  breed.className = 'breed';
  breed.textContent = hit.breed;
  breed.title = `${hit.file} (pose ${hit.pose}, id ${hit.id})`;
  const figures = document.createElement('span');
  figures.textContent = `#${hit.rank} · ${hit.score.toFixed(3)}`;
  figures.title = `rank · ${state.info?.metrics[state.metric] ?? 'score'}`;
  caption.append(breed, figures);
  const buttons = document.createElement('div');
  buttons.className = 'buttons';
  const button = (cls, text, title, action) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = cls;
    b.textContent = text;
    b.title = title;
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      action();
    });
    return b;
  };
  buttons.append(
    button('pos', '✓ right', 'positive (p)', () => setLabel(hit.id, 'positive')),
    button('neg', '✗ wrong', 'negative (n)', () => setLabel(hit.id, 'negative')),
    button('like', 'more like this', 'search by this photo (m)', () => guarded(() => search({ like: hit.id }))),
  );
  el.append(img, caption, buttons);
  // A click on the photo cycles: unlabelled -> right -> wrong -> unlabelled.
  el.addEventListener('click', () => {
    const now = state.labels.get(hit.id);
    setLabel(hit.id, now === undefined ? 'positive' : now === 'positive' ? 'negative' : 'none');
  });
  paint(el);
  return el;
}

function paint(el) {
  const label = state.labels.get(Number(el.dataset.id));
  el.classList.toggle('positive', label === 'positive');
  el.classList.toggle('negative', label === 'negative');
  el.setAttribute('aria-label', `photo ${el.dataset.id}${label ? `, labelled ${label}` : ''}`);
}

/** Shows the hits, or `empty` when there are none. */
function render(hits, empty) {
  state.hits = hits;
  const grid = $('#grid');
  grid.replaceChildren(...hits.map(tile));
  if (hits.length === 0) grid.textContent = empty;
}

async function setLabel(id, label) {
  try {
    const r = await api('POST', 'api/label', { session: sessionName(), id, label });
    if (r.label) state.labels.set(id, r.label);
    else state.labels.delete(id);
    for (const el of document.querySelectorAll(`.tile[data-id="${id}"]`)) paint(el);
    showCounts(r.counts);
  } catch (e) {
    showMessage(e.message);
  }
}

function showCounts(c) {
  $('#counts').textContent = c.labelled
    ? `${c.labelled} labelled: ${c.positives} right, ${c.negatives} wrong; ${c.rounds} rounds`
    : 'no labels yet';
}

function fmt(v, digits = 3) {
  return typeof v === 'number' ? v.toFixed(digits) : '–';
}

function showRounds(rounds) {
  const body = $('#rounds tbody');
  body.replaceChildren(
    ...rounds
      .slice()
      .reverse()
      .map((r) => {
        const tr = document.createElement('tr');
        const cells = [
          r.round,
          r.start.label,
          `${r.labelled} (${r.positives}/${r.negatives})`,
          r.lossBefore === undefined ? '–' : `${fmt(r.lossBefore)} → ${fmt(r.lossAfter)}`,
          r.breed ? `${fmt(r.precision, 2)} (${r.breed})` : '–',
          r.breed ? fmt(r.candidatePrecision, 2) : '–',
          Math.round(r.ms),
        ];
        for (const c of cells) {
          const td = document.createElement('td');
          td.textContent = String(c);
          tr.append(td);
        }
        return tr;
      }),
  );
}

async function train() {
  const settings = searchSettings();
  const t0 = performance.now();
  const body = {
    session: settings.session,
    backend: settings.backend,
    efSearch: settings.efSearch,
    n: numberField('#n', 'N', 1, state.info?.limits.candidates ?? 100),
    breed: $('#target-breed').value || undefined,
    query: state.query ?? undefined,
  };
  const r = await api('POST', 'api/train', body);
  const round = r.round;
  state.metric = 'ip';
  // A round has no filters: its candidates are the photos not labelled yet.
  render(r.hits, 'No candidates left: every photo is labelled.');
  showSql(r.sql);
  showCounts(r.counts);
  const out = $('#train-result');
  out.replaceChildren();
  const figure = document.createElement('div');
  figure.className = 'figure';
  figure.id = 'precision';
  figure.textContent = round.breed
    ? `precision@${r.hits.length} ${fmt(round.precision, 2)} (${round.breed})`
    : 'precision: pick a breed to measure against';
  const detail = document.createElement('div');
  detail.id = 'loss';
  detail.textContent =
    (round.lossBefore === undefined
      ? 'no labels yet: zero-shot candidates'
      : `loss ${fmt(round.lossBefore)} → ${fmt(round.lossAfter)}`) +
    `; round ${round.round} in ${ms(round.ms)} (page ${ms(performance.now() - t0)})`;
  out.append(figure, detail);
  $('#status').textContent =
    `round ${round.round}: the ${r.hits.length} unlabelled photos the classifier is surest about`;
  const s = await api('GET', `api/session?session=${encodeURIComponent(settings.session)}`);
  showRounds(s.rounds);
}

async function loadSession() {
  const name = sessionName();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new Error("the session name may hold letters, digits, '-' and '_' only");
  }
  const s = await api('GET', `api/session?session=${encodeURIComponent(name)}`);
  state.labels = new Map(s.labels.map((l) => [l.id, l.label]));
  for (const el of document.querySelectorAll('.tile')) paint(el);
  showCounts(s.counts);
  showRounds(s.rounds);
  $('#export').href = `api/labels.csv?session=${encodeURIComponent(name)}`;
  $('#export-weights').href = `api/weights.npy?session=${encodeURIComponent(name)}`;
}

function options(sel, values, keepFirst = false) {
  const el = $(sel);
  const first = keepFirst ? [el.options[0]] : [];
  el.replaceChildren(
    ...first,
    ...values.map((v) => {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = v;
      return o;
    }),
  );
}

function onKey(ev) {
  if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
  const tiles = [...document.querySelectorAll('.tile')];
  if (!tiles.length) return;
  // The photo that holds the focus (the tile or one of its buttons); without one, keys label nothing.
  const here = ev.target instanceof Element ? ev.target.closest('.tile') : null;
  const i = here ? tiles.indexOf(here) : -1;
  const cols = Math.max(1, Math.round($('#grid').clientWidth / tiles[0].offsetWidth) || 1);
  const move = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[ev.key];
  if (move !== undefined) {
    tiles[i < 0 ? 0 : Math.max(0, Math.min(tiles.length - 1, i + move))].focus();
    ev.preventDefault();
    return;
  }
  if (i < 0) return;
  const id = Number(tiles[i].dataset.id);
  if (ev.key === 'p' || ev.key === 'y') {
    setLabel(id, 'positive');
  } else if (ev.key === 'n') {
    setLabel(id, 'negative');
  } else if (ev.key === 'u') {
    setLabel(id, 'none');
  } else if (ev.key === 'm') {
    guarded(() => search({ like: id }));
  } else {
    return;
  }
  ev.preventDefault();
}

async function start() {
  const info = await api('GET', 'api/info');
  state.info = info;
  $('#demo-banner').hidden = !info.demo;
  const onDisk = info.photosOnDisk ? '' : ' (photos not on disk)';
  $('#summary').textContent = `${info.photos} photos, ${info.breeds.length} breeds${onDisk}`;
  options('#breed', info.breeds);
  options('#filter-breeds', info.breeds);
  options('#filter-poses', info.poses);
  options('#target-breed', info.breeds, true);
  await loadSession();
  syncMetrics();
  $('#backend').addEventListener('change', syncMetrics);
  // Fetched first, so that "no classifier yet" is a message on the page rather than a failed download.
  $('#export-weights').addEventListener('click', (ev) => {
    ev.preventDefault();
    guarded(async () => {
      const link = $('#export-weights');
      const res = await fetch(link.href);
      if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || `${res.status} ${res.statusText}`);
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `classifier-${sessionName()}.npy`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
  });

  $('#text-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    guarded(async () => {
      const text = $('#text').value.trim();
      if (!text) throw new Error('the text query is empty: type a few words');
      await search({ text, lang: $('#lang').value });
    });
  });
  $('#photo-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    guarded(async () => {
      const file = $('#photo').files[0];
      if (!file) throw new Error('choose a photo first');
      if (file.size > info.limits.uploadBytes) {
        const mb = (b) => (b / 1048576).toFixed(1);
        throw new Error(`the photo is ${mb(file.size)} MB: at most ${mb(info.limits.uploadBytes)} MB`);
      }
      const type = file.type.startsWith('image/') ? file.type : 'application/octet-stream';
      const up = await api('POST', 'api/upload', file, type);
      await search({ upload: up.upload });
    });
  });
  $('#breed-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    guarded(() => search({ breed: $('#breed').value }));
  });
  $('#train').addEventListener('click', () => guarded(train));
  $('#session').addEventListener('change', () => guarded(loadSession));
  $('#import').addEventListener('change', () =>
    guarded(async () => {
      const file = $('#import').files[0];
      if (!file) return;
      const text = await file.text();
      $('#import').value = '';
      const r = await api('POST', `api/labels/import?session=${encodeURIComponent(sessionName())}`, text, 'text/csv');
      await loadSession();
      $('#status').textContent = `imported ${r.imported} labels`;
    }),
  );
  document.addEventListener('keydown', onKey);
}

start().catch((e) => showMessage(`the explorer could not start: ${e.message}`));
