/* The browser speed test the server serves at / (docs/PROTOCOL.md, section 9).
 *
 * Latency is a series of GET /ping on one kept-alive connection (the first
 * pays for the connection and is dropped); download is N parallel loops of
 * GET /download?bytes=SIZE read through a ReadableStream, so bytes count as
 * they arrive; upload is N loops of XMLHttpRequest POST /upload of a
 * generated Blob (fetch() cannot stream a request body over HTTP/1.1), live
 * through its upload progress events.
 *
 * Every request is let finish: when the time is up no new one starts, and
 * each asks for about a quarter second's worth, so the phase ends soon after
 * its time and the page's byte counts are exactly what the server sent and
 * received (the test compares them with the server's log).
 *
 * The query string sets the run: time (seconds per direction, 1–60,
 * default 10), streams (1–6, Chromium's connections per host; default 4),
 * pings (2–200, default 20), lang (a language to try before the browser's),
 * start=1 (run at once).
 *
 * The figures in the DOM: #app carries data-state (loading, idle, running,
 * done, error), data-phase, data-lang, data-error, and after a run the raw
 * numbers: data-latency-ms, data-jitter-ms, data-pings, data-download-bytes,
 * data-download-seconds, data-download-bps, data-download-requests and the
 * same for upload, data-upload-server-bytes (what /upload answered), and
 * data-loaded-latency-ms, data-loaded-pings and data-rpm (round trips a
 * minute under load, from the loaded latency's median).
 *
 * Strings go through _() and come from po/LANG.po, compiled to
 * /static/l10n-LANG.json at build time (data/web/po2json.py).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
'use strict';

(function () {
  /* ---- Translations ---- */

  let catalog = {};
  let locale = 'en';

  function _(msgid) {
    const text = catalog[msgid];
    return typeof text === 'string' && text !== '' ? text : msgid;
  }

  /* Marks a string for xgettext where it is translated later. */
  function N_(msgid) {
    return msgid;
  }

  /* Named placeholders ({name}) let a translation reorder them. */
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g,
      (match, key) => (key in values ? String(values[key]) : match));
  }

  /* "de-AT" tries po/LINGUAS's "de_AT", then "de"; English is the source. */
  function catalogNames(tag) {
    const parts = tag.split(/[-_]/);
    const language = parts[0].toLowerCase();
    if (language === 'en' || language === '')
      return null;
    if (parts.length > 1 && /^[A-Za-z]{2}$/.test(parts[1]))
      return [language + '_' + parts[1].toUpperCase(), language];
    return [language];
  }

  async function loadCatalog(wanted) {
    const tried = new Set();
    for (const tag of wanted) {
      const names = catalogNames(tag);
      if (names === null)
        return;
      for (const name of names) {
        if (tried.has(name))
          continue;
        tried.add(name);
        try {
          const response = await fetch('/static/l10n-' + encodeURIComponent(name) + '.json');
          if (!response.ok)
            continue;
          catalog = await response.json();
          locale = tag.replace('_', '-');
          return;
        } catch (error) {
          catalog = {};
        }
      }
    }
  }

  /* ---- Configuration from the query string ---- */

  const params = new URLSearchParams(window.location.search);

  function numberParam(name, fallback, min, max) {
    if (!params.has(name))
      return fallback;
    const value = Number(params.get(name));
    if (!Number.isFinite(value))
      return fallback;
    return Math.min(max, Math.max(min, value));
  }

  const config = {
    seconds: numberParam('time', 10, 1, 60),
    streams: Math.round(numberParam('streams', 4, 1, 6)),
    pings: Math.round(numberParam('pings', 20, 2, 200)),
    autostart: params.get('start') === '1',
  };

  /* ---- Formatting ---- */

  function formatNumber(value, options = { maximumSignificantDigits: 3 }) {
    try {
      return new Intl.NumberFormat(locale, options).format(value);
    } catch (error) {
      return String(value);
    }
  }

  /* Decimal prefixes with three significant digits, as the app's ws-units. */
  function withPrefix(value, units) {
    let i = 0;
    while (Math.abs(value) >= 999.5 && i < units.length - 1) {
      value /= 1000;
      i++;
    }
    return formatNumber(value) + '\u00a0' + units[i];
  }

  function formatRate(bps) {
    return withPrefix(bps, ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s']);
  }

  function formatBytes(bytes) {
    return withPrefix(bytes, ['B', 'kB', 'MB', 'GB', 'TB']);
  }

  function formatMs(ms) {
    return formatNumber(ms) + '\u00a0ms';
  }

  /* Round trips a minute under load, in networkQuality's bands as the app
   * shows them. */
  function formatRpm(rpm) {
    // Translators: responsiveness (RPM) band
    const band = rpm < 200 ? _("low") : rpm <= 800 ? _("medium") : _("high");
    return formatNumber(rpm, { maximumFractionDigits: 0 }) + ' (' + band + ')';
  }

  /* ---- Errors, each with the one line the page shows ---- */

  class TestError extends Error {}

  function httpError(status, path) {
    if (status === 503)
      return new TestError(_("the server is busy (503); try again in a moment"));
    // Translators: {status} is an HTTP status such as 404, {path} a path such as /download.
    return new TestError(fill(_("the server answered {status} to {path}"),
      { status: status, path: path }));
  }

  /* fetch() rejects with a TypeError when the connection fails or is cut,
   * XMLHttpRequest fires "error": both are the connection's fault. */
  function reasonOf(error) {
    if (error instanceof TestError)
      return error.message;
    return _("the connection to the server failed");
  }

  /* ---- Latency ---- */

  function median(values) {
    const sorted = values.slice().sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /* Jitter as the mean difference between consecutive round trips. */
  function jitter(values) {
    let sum = 0;
    for (let i = 1; i < values.length; i++)
      sum += Math.abs(values[i] - values[i - 1]);
    return values.length > 1 ? sum / (values.length - 1) : 0;
  }

  /* The request's own round trip from Resource Timing (request sent to
   * first byte), without the page's scheduling; the time around fetch()
   * where the browser has no entry (yet). */
  function roundTrip(url, wall) {
    const entries = performance.getEntriesByName(url, 'resource');
    performance.clearResourceTimings();
    const entry = entries[entries.length - 1];
    if (entry && entry.requestStart > 0 && entry.responseStart >= entry.requestStart)
      return entry.responseStart - entry.requestStart;
    return wall;
  }

  const PING_URL = new URL('/ping', window.location.href).href;

  async function ping(signal) {
    const began = performance.now();
    const response = await fetch(PING_URL, { cache: 'no-store', signal: signal });
    await response.arrayBuffer();
    const ms = roundTrip(PING_URL, performance.now() - began);
    if (!response.ok)
      throw httpError(response.status, '/ping');
    return ms;
  }

  async function measureLatency(count, signal) {
    const samples = [];
    performance.clearResourceTimings();
    for (let i = 0; i <= count; i++) {
      const ms = await ping(signal);
      if (i > 0)
        samples.push(ms);
      showLatency(samples);
    }
    return { ms: median(samples), jitter: jitter(samples), pings: samples.length };
  }

  /* Loaded latency: one ping at a time while the streams run, a tenth of a
   * second apart, on a connection of its own (the streams keep theirs
   * busy). With six streams the browser has no connection left for it. */
  const PROBE_GAP_MS = 100;
  const MAX_CONNECTIONS = 6;

  async function probeLoaded(samples, signal, finished) {
    while (!finished()) {
      samples.push(await ping(signal));
      showLoaded(samples);
      await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
    }
  }

  /* ---- Throughput ---- */

  const MIN_REQUEST = 256 * 1024;
  const MAX_DOWNLOAD = 256 * 1024 * 1024;
  const MAX_UPLOAD = 64 * 1024 * 1024;

  /* The next request's size: a quarter second at the rate the last one
   * saw (small against a request's overhead, short past the deadline), no
   * more than the time left, and at most four times the last (the first
   * ones run in TCP slow start). */
  function nextSize(size, bytes, ms, deadline, max) {
    const rate = (bytes * 1000) / Math.max(ms, 1);
    const left = Math.max(deadline - performance.now(), 50) / 1000;
    const next = Math.min(rate * 0.25, rate * left, size * 4, max);
    return Math.max(MIN_REQUEST, Math.round(next));
  }

  async function downloadLoop(meter, deadline, signal) {
    let size = MIN_REQUEST;
    while (performance.now() < deadline) {
      const began = performance.now();
      const response = await fetch('/download?bytes=' + size,
        { cache: 'no-store', signal: signal });
      if (!response.ok)
        throw httpError(response.status, '/download');
      if (!response.body)
        throw new TestError(_("this browser cannot read a download as it arrives"));
      const reader = response.body.getReader();
      let got = 0;
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done)
          break;
        got += chunk.value.byteLength;
        meter.bytes += chunk.value.byteLength;
      }
      if (got !== size)
        // Translators: {got} and {expected} are numbers of bytes.
        throw new TestError(fill(_("the server sent {got} of {expected} bytes"),
          { got: got, expected: size }));
      meter.requests++;
      size = nextSize(size, got, performance.now() - began, deadline, MAX_DOWNLOAD);
    }
  }

  /* Random bytes, so that nothing on the way can compress them; a request
   * body is a Blob of references to one random MiB, not a copy. */
  function randomBody() {
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < chunk.length; i += 65536)
      crypto.getRandomValues(chunk.subarray(i, i + 65536));
    const piece = new Blob([chunk]);
    return function (size) {
      const parts = [];
      let left = size;
      for (; left >= piece.size; left -= piece.size)
        parts.push(piece);
      if (left > 0)
        parts.push(piece.slice(0, left));
      return new Blob(parts);
    };
  }

  function post(body, signal, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const abort = () => xhr.abort();
      const done = (settle, value) => {
        signal.removeEventListener('abort', abort);
        settle(value);
      };
      signal.addEventListener('abort', abort);
      xhr.open('POST', '/upload');
      xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => {
        if (xhr.status !== 200) {
          done(reject, httpError(xhr.status, '/upload'));
          return;
        }
        let reply = null;
        try {
          reply = JSON.parse(xhr.responseText);
        } catch (error) {
          reply = null;
        }
        done(resolve, reply);
      };
      xhr.onerror = () => done(reject, new TypeError('network error'));
      xhr.onabort = () => done(reject, new DOMException('aborted', 'AbortError'));
      xhr.send(body);
    });
  }

  async function uploadLoop(meter, deadline, signal, makeBody) {
    let size = MIN_REQUEST;
    while (performance.now() < deadline) {
      const began = performance.now();
      let reported = 0;
      const reply = await post(makeBody(size), signal, (loaded) => {
        meter.bytes += loaded - reported;
        reported = loaded;
      });
      meter.bytes += size - reported;
      if (reply && typeof reply.bytes === 'number') {
        meter.serverBytes += reply.bytes;
        if (reply.bytes !== size)
          // Translators: {got} and {expected} are numbers of bytes.
          throw new TestError(fill(_("the server received {got} of {expected} bytes"),
            { got: reply.bytes, expected: size }));
      }
      meter.requests++;
      size = nextSize(size, size, performance.now() - began, deadline, MAX_UPLOAD);
    }
  }

  const SAMPLE_MS = 200;

  async function measureThroughput(kind, signal, loaded) {
    const meter = { bytes: 0, requests: 0, serverBytes: 0 };
    const phase = new AbortController();
    const stop = () => phase.abort();
    signal.addEventListener('abort', stop);
    const began = performance.now();
    const deadline = began + config.seconds * 1000;
    let last = { at: began, bytes: 0 };
    const timer = setInterval(() => {
      const now = performance.now();
      const bps = ((meter.bytes - last.bytes) * 8000) / Math.max(now - last.at, 1);
      last = { at: now, bytes: meter.bytes };
      chart.series[kind].push({ t: (now - chart.origin) / 1000, bps: bps });
      showRate(kind, (meter.bytes * 8000) / Math.max(now - began, 1));
      drawChart();
    }, SAMPLE_MS);
    let seconds = 0;
    try {
      const makeBody = kind === 'upload' ? randomBody() : null;
      const loops = [];
      for (let i = 0; i < config.streams; i++)
        loops.push(kind === 'download'
          ? downloadLoop(meter, deadline, phase.signal)
          : uploadLoop(meter, deadline, phase.signal, makeBody));
      /* One failure ends the others rather than leaving them running. */
      const failing = (promise) => promise.catch((error) => {
        phase.abort();
        throw error;
      });
      const probe = config.streams < MAX_CONNECTIONS
        ? failing(probeLoaded(loaded, phase.signal, () => seconds > 0)) : null;
      /* Awaited below; handled here too for when a loop fails first. */
      if (probe)
        probe.catch(() => {});
      await Promise.all(loops.map(failing));
      seconds = (performance.now() - began) / 1000;
      await probe;
    } finally {
      clearInterval(timer);
      signal.removeEventListener('abort', stop);
    }
    return {
      bytes: meter.bytes,
      seconds: seconds,
      bps: (meter.bytes * 8) / seconds,
      requests: meter.requests,
      serverBytes: meter.serverBytes,
    };
  }

  /* ---- The page ---- */

  const app = document.getElementById('app');
  const button = document.getElementById('start');
  const canvas = document.getElementById('chart');

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }

  function setState(state, message) {
    app.dataset.state = state;
    text('status', message);
    const busy = state === 'running';
    button.textContent = busy ? _("Stop") : _("Start");
    button.classList.toggle('suggested', !busy);
    button.classList.toggle('destructive', busy);
    button.disabled = state === 'loading';
  }

  function setPhase(phase, message) {
    app.dataset.phase = phase;
    for (const id of ['fig-latency', 'fig-download', 'fig-upload'])
      document.getElementById(id).classList.toggle('active', id === 'fig-' + phase);
    text('status', message);
  }

  function showLatency(samples) {
    if (samples.length === 0)
      return;
    text('value-latency', formatMs(median(samples)));
    text('value-jitter', formatMs(jitter(samples)));
  }

  function showLoaded(samples) {
    if (samples.length === 0)
      return;
    const ms = median(samples);
    text('value-loaded', formatMs(ms));
    text('value-rpm', formatRpm(60000 / ms));
  }

  function showRate(kind, bps) {
    text('value-' + kind, formatRate(bps));
  }

  function record(prefix, result) {
    app.dataset[prefix + 'Bytes'] = String(result.bytes);
    app.dataset[prefix + 'Seconds'] = result.seconds.toFixed(6);
    app.dataset[prefix + 'Bps'] = String(Math.round(result.bps));
    app.dataset[prefix + 'Requests'] = String(result.requests);
  }

  const RESULT_KEYS = ['latencyMs', 'jitterMs', 'pings', 'downloadBytes', 'downloadSeconds',
    'downloadBps', 'downloadRequests', 'uploadBytes', 'uploadSeconds', 'uploadBps',
    'uploadRequests', 'uploadServerBytes', 'loadedLatencyMs', 'loadedPings', 'rpm', 'error'];

  let address = '';
  let running = null;

  function showDetails(down, up) {
    const parts = [fill(_("Streams: {streams}"), { streams: config.streams })];
    if (down)
      parts.push(fill(_("Downloaded: {amount}"), { amount: formatBytes(down.bytes) }));
    if (up)
      parts.push(fill(_("Uploaded: {amount}"), { amount: formatBytes(up.bytes) }));
    if (address)
      parts.push(fill(_("Your address: {address}"), { address: address }));
    text('details', parts.join(' · '));
  }

  async function runTest() {
    const controller = new AbortController();
    running = controller;
    for (const key of RESULT_KEYS)
      delete app.dataset[key];
    for (const id of ['value-latency', 'value-jitter', 'value-download', 'value-upload',
      'value-loaded', 'value-rpm'])
      text(id, '–');
    chart.series = { download: [], upload: [] };
    chart.origin = performance.now();
    drawChart();
    setState('running', '');
    let down = null;
    let up = null;
    const loaded = [];
    try {
      setPhase('latency', _("Measuring latency") + "…");
      const latency = await measureLatency(config.pings, controller.signal);
      app.dataset.latencyMs = latency.ms.toFixed(3);
      app.dataset.jitterMs = latency.jitter.toFixed(3);
      app.dataset.pings = String(latency.pings);

      setPhase('download', _("Measuring download") + "…");
      chart.origin = performance.now();
      down = await measureThroughput('download', controller.signal, loaded);
      showRate('download', down.bps);
      record('download', down);
      showDetails(down, null);

      setPhase('upload', _("Measuring upload") + "…");
      up = await measureThroughput('upload', controller.signal, loaded);
      showRate('upload', up.bps);
      record('upload', up);
      app.dataset.uploadServerBytes = String(up.serverBytes);
      app.dataset.loadedPings = String(loaded.length);
      if (loaded.length > 0) {
        app.dataset.loadedLatencyMs = median(loaded).toFixed(3);
        app.dataset.rpm = (60000 / median(loaded)).toFixed(1);
      }
      setPhase('', _("Finished"));
      setState('done', _("Finished"));
    } catch (error) {
      setPhase('', '');
      if (controller.signal.aborted && !(error instanceof TestError)) {
        setState('idle', _("Stopped"));
      } else {
        app.dataset.error = reasonOf(error);
        setState('error', fill(_("The test failed: {reason}"), { reason: reasonOf(error) }));
      }
    } finally {
      running = null;
      showDetails(down, up);
      drawChart();
    }
  }

  button.addEventListener('click', () => {
    if (running)
      running.abort();
    else
      runTest();
  });

  /* ---- The graph: throughput over time, as the app's chart ---- */

  const chart = { series: { download: [], upload: [] }, origin: 0 };

  /* A round step (1, 2, 2.5 or 5 times a power of ten) near value. */
  function niceStep(value) {
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5]) {
      if (step * power >= value)
        return step * power;
    }
    return 10 * power;
  }

  function chartFrame(ctx, width, height, colours) {
    const all = chart.series.download.concat(chart.series.upload);
    const highest = Math.max(1e6, ...all.map((p) => p.bps));
    const yStep = niceStep(highest / 4);
    const lines = Math.max(2, Math.ceil((highest * 1.05) / yStep));
    const span = Math.max(2 * config.seconds, ...all.map((p) => p.t));
    const frame = {
      left: 78, right: width - 8, top: 8, bottom: height - 22, yMax: yStep * lines, span: span,
    };
    ctx.font = '12px ' + getComputedStyle(document.documentElement).fontFamily;
    ctx.lineWidth = 1;
    ctx.strokeStyle = colours.grid;
    ctx.fillStyle = colours.dim;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (let i = 0; i <= lines; i++) {
      const y = frame.bottom - ((frame.bottom - frame.top) * i) / lines;
      ctx.beginPath();
      ctx.moveTo(frame.left, Math.round(y) + 0.5);
      ctx.lineTo(frame.right, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.fillText(formatRate(yStep * i), frame.left - 8, y);
    }
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    const step = [0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 60].find((t) => t >= span / 6) || 60;
    for (let t = 0; t <= span + 1e-9; t += step) {
      const x = frame.left + ((frame.right - frame.left) * t) / span;
      ctx.fillText(formatNumber(t) + '\u00a0s', Math.min(x, frame.right - 12), frame.bottom + 6);
    }
    return frame;
  }

  function drawChart() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0)
      return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(document.documentElement);
    const colour = (name) => style.getPropertyValue(name).trim();
    const frame = chartFrame(ctx, width, height, { grid: colour('--grid'), dim: colour('--dim-fg') });
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    for (const kind of ['download', 'upload']) {
      const points = chart.series[kind];
      ctx.strokeStyle = colour('--' + kind);
      ctx.beginPath();
      points.forEach((p, i) => {
        const x = frame.left + ((frame.right - frame.left) * p.t) / frame.span;
        const y = frame.bottom - ((frame.bottom - frame.top) * p.bps) / frame.yMax;
        if (i === 0)
          ctx.moveTo(x, y);
        else
          ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
  }

  /* ---- Start-up ---- */

  const LABELS = {
    'label-download': N_("Download"),
    'label-upload': N_("Upload"),
    'label-latency': N_("Idle latency"),
    'label-jitter': N_("Jitter"),
    'label-loaded': N_("Loaded latency"),
    'label-rpm': N_("Responsiveness (RPM)"),
    'legend-download': N_("Download"),
    'legend-upload': N_("Upload"),
  };

  async function start() {
    const wanted = [];
    if (params.has('lang'))
      wanted.push(params.get('lang'));
    wanted.push(...(navigator.languages && navigator.languages.length
      ? navigator.languages : [navigator.language || 'en']));
    await loadCatalog(wanted);
    document.documentElement.lang = locale;
    app.dataset.lang = locale;
    for (const id in LABELS)
      text(id, _(LABELS[id]));
    document.title = 'Wirespeed · ' + _("Speed test");
    // Translators: {server} is the server's name or address and port.
    text('subtitle', fill(_("Speed test against {server}"), { server: window.location.host }));
    // Translators: "Start" is the button's label.
    setState('idle', _("Press Start to measure latency, download and upload."));
    drawChart();
    window.addEventListener('resize', drawChart);
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', drawChart);
    fetch('/ip', { cache: 'no-store' })
      .then((response) => (response.ok ? response.json() : null))
      .then((reply) => {
        if (reply && typeof reply.address === 'string') {
          address = reply.address;
          if (!running)
            showDetails(null, null);
        }
      })
      .catch(() => {});
    if (config.autostart)
      runTest();
  }

  start();
})();
