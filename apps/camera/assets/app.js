// The camera dashboard: live status over the WebSocket (or server-sent events
// with #sse), a canvas chart of the last minutes, the trigger, the config form
// and the firmware upload. No libraries: the device has no internet.
'use strict';
const $ = id => document.getElementById(id);
const WINDOW_S = 300; // seconds on the chart
const history = []; // {t, fps, light}
let last = null; // the previous status, to derive frames/s

function show(s) {
  for (const k of ['frames', 'triggers', 'light']) $(k).textContent = s[k];
  const now = performance.now() / 1000;
  if (last && now - last.t >= 1) {
    const fps = Math.max(0, (s.frames - last.frames) / (now - last.t));
    $('fps').textContent = fps.toFixed(1);
    history.push({ t: now, fps, light: s.light });
    while (history.length && history[0].t < now - WINDOW_S) history.shift();
    last = { t: now, frames: s.frames };
    draw();
  } else if (!last) {
    last = { t: now, frames: s.frames };
  }
}

function draw() {
  const c = $('chart'), g = c.getContext('2d');
  const w = c.width = c.clientWidth * devicePixelRatio, h = c.height = c.clientHeight * devicePixelRatio;
  const css = getComputedStyle(document.documentElement);
  g.clearRect(0, 0, w, h);
  c.dataset.points = history.length; // how many samples the chart shows
  g.strokeStyle = css.getPropertyValue('--line').trim();
  g.lineWidth = 1;
  for (let i = 1; i < 4; i++) { g.beginPath(); g.moveTo(0, h * i / 4); g.lineTo(w, h * i / 4); g.stroke(); }
  if (history.length < 2) return;
  // The time axis spans what was seen, up to the window: a fresh page fills the chart.
  const t1 = history[history.length - 1].t;
  const span = Math.max(10, Math.min(WINDOW_S, t1 - history[0].t)), t0 = t1 - span;
  const maxFps = Math.max(1, ...history.map(p => p.fps)) * 1.2;
  const line = (color, y) => {
    g.strokeStyle = css.getPropertyValue(color).trim();
    g.lineWidth = 2 * devicePixelRatio;
    g.beginPath();
    history.forEach((p, i) => {
      const x = (p.t - t0) / span * w;
      i ? g.lineTo(x, y(p)) : g.moveTo(x, y(p));
    });
    g.stroke();
  };
  line('--fps', p => h - p.fps / maxFps * h);
  line('--light', p => h - p.light / 1023 * h);
  g.fillStyle = css.getPropertyValue('--muted').trim();
  g.font = `${12 * devicePixelRatio}px system-ui`;
  g.fillText(`${maxFps.toFixed(0)} frames/s`, 4, 14 * devicePixelRatio);
}
addEventListener('resize', draw);

function live() {
  const mode = $('mode');
  if (location.hash === '#sse') {
    const es = new EventSource('/events');
    es.addEventListener('status', e => { mode.textContent = 'server-sent events'; show(JSON.parse(e.data)); });
    es.onerror = () => { mode.textContent = 'reconnecting'; };
    return;
  }
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
  ws.onmessage = e => { mode.textContent = 'websocket'; show(JSON.parse(e.data)); };
  ws.onclose = () => { mode.textContent = 'closed'; setTimeout(live, 2000); };
}
live();
draw();

$('trigger').onclick = e => { e.preventDefault(); fetch('/trigger', { method: 'POST' }); };

fetch('/config').then(r => r.json()).then(c => { $('interval').value = c.interval_ms; }).catch(() => {});
$('config').onsubmit = async e => {
  e.preventDefault();
  const r = await fetch('/config', {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ interval_ms: Number($('interval').value) }),
  });
  const body = await r.json().catch(() => ({}));
  $('config-result').textContent = r.ok ? `saved: ${body.interval_ms} ms` : `refused (${r.status}): ${body.error || ''}`;
};

$('firmware').onsubmit = e => {
  e.preventDefault();
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/firmware');
  xhr.upload.onprogress = p => { if (p.lengthComputable) $('firmware-progress').value = 100 * p.loaded / p.total; };
  xhr.onload = () => { $('firmware-result').textContent = `${xhr.status}: ${xhr.responseText}`; };
  xhr.onerror = () => { $('firmware-result').textContent = 'upload failed'; };
  xhr.send(new FormData($('firmware')));
};
