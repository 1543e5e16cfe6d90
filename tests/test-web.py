#!/usr/bin/env python3
# test-web.py — the browser speed test in a real browser (TAP)
#
# Starts a real `wirespeed --server` ($WIRESPEED) on a free loopback port
# and Debian's headless Chromium, driven through the DevTools protocol over
# --remote-debugging-pipe (fds 3 and 4, NUL-delimited JSON; stdlib only).
# The page at / runs latency, download and upload; its figures, read from
# the data-* attributes of #app, must agree with the server's own byte
# counts (its --verbose log: one line per HTTP request with sent= and
# received=) within 5 %. Stop and a busy server (503) end a run as they
# should; over HTTPS (a server with --tls-cert) the page runs as well.
# Then dark mode (a dark background), German and French (a translated
# label; headless Chromium ignores --lang, so the language is set with
# --accept-lang, which navigator.languages follows). Screenshots, light and
# dark, go to $WS_TEST_OUTDIR (the build's tests/ folder; else the temp
# folder) as web-light.png and web-dark.png.
#
# Every wait is on a state (a log line, a DOM attribute), with a deadline
# only against a hang. Skips when Chromium is missing, and when the server
# answers 404 at / (a server without the page).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import base64
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

# The run: short, and two streams, so that two cores shared with other
# suites still finish it in seconds.
SECONDS = 2
STREAMS = 2
PINGS = 10
TOLERANCE = 0.05
# Only against a hang: a state that never comes.
DEADLINE = 90

LOG_LINE = re.compile(
    r'HTTP (?P<method>[A-Z]+) (?P<target>\S+) (?P<status>\d+) '
    r'sent=(?P<sent>\d+) received=(?P<received>\d+)')


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = False

    def plan(self, count):
        print(f'1..{count}', flush=True)

    def check(self, good, what, detail=None):
        self.n += 1
        print(f'{"ok" if good else "not ok"} {self.n} - {what}', flush=True)
        if not good:
            self.failed = True
            if detail:
                self.diag(detail)
        return good

    @staticmethod
    def diag(text):
        for line in str(text).splitlines():
            print(f'# {line}', flush=True)


def wait_for(predicate, what, deadline=DEADLINE, step=0.05):
    """predicate()'s first true value; an exception on the deadline."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise TimeoutError(f'no {what} after {deadline} s')
        time.sleep(step)


class Server:
    """`wirespeed --server --verbose` on port 0: it prints the port it got."""

    def __init__(self, binary, tmp, name, extra=()):
        self.out_path = os.path.join(tmp, name + '.out')
        self.err_path = os.path.join(tmp, name + '.err')
        env = dict(os.environ, LC_ALL='C.UTF-8')
        env.pop('LANGUAGE', None)
        with open(self.out_path, 'wb') as out, open(self.err_path, 'wb') as err:
            self.proc = subprocess.Popen(
                [binary, '--server', '--bind', '127.0.0.1', '--port', '0', '--verbose', *extra],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        self.port = int(wait_for(self._port, 'listening line', 30))

    def _port(self):
        match = re.search(r'listening on 127\.0\.0\.1 port (\d+)', self.output())
        if match:
            return match.group(1)
        if self.proc.poll() is not None:
            raise RuntimeError(f'the server exited ({self.proc.returncode}): {self.output()}')
        return None

    def output(self):
        text = ''
        for path in (self.out_path, self.err_path):
            with open(path, encoding='utf-8', errors='replace') as f:
                text += f.read()
        return text

    def requests(self):
        """The logged requests: (method, path, status, sent, received)."""
        out = []
        for m in LOG_LINE.finditer(self.output()):
            path = m['target'].split('?')[0]
            out.append((m['method'], path, int(m['status']), int(m['sent']), int(m['received'])))
        return out

    def stop(self):
        """Its exit status after SIGTERM (a sanitizer's report makes it fail)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return 'hung'
        return self.proc.returncode


class Browser:
    """Headless Chromium with one page, over --remote-debugging-pipe."""

    def __init__(self, binary, tmp, name, extra=()):
        to_chromium_r, self._to_chromium = os.pipe()
        self._from_chromium, from_chromium_w = os.pipe()

        def child_fds():
            # Chromium reads commands on fd 3 and writes answers to fd 4.
            # Moved up first, as a pipe may already be fd 3 or 4 (dup2 onto
            # itself would leave it close-on-exec).
            read_end, write_end = os.dup(to_chromium_r), os.dup(from_chromium_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.log_path = os.path.join(tmp, name + '-chromium.log')
        with open(self.log_path, 'wb') as log:
            self.proc = subprocess.Popen(
                [shutil.which('chromium'), '--headless=new', '--no-sandbox', '--disable-gpu',
                 '--remote-debugging-pipe', '--user-data-dir=' + os.path.join(tmp, name),
                 '--no-first-run', '--no-default-browser-check', '--disable-extensions',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--disable-dev-shm-usage', '--mute-audio',
                 '--hide-scrollbars', '--window-size=900,760', *extra, 'about:blank'],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=child_fds, close_fds=False)
        os.close(to_chromium_r)
        os.close(from_chromium_w)
        self._buffer = b''
        self._next_id = 0
        self._events = []
        self.session = None
        targets = self.call('Target.getTargets')['targetInfos']
        page = next(t for t in targets if t['type'] == 'page')
        self.session = self.call('Target.attachToTarget',
                                 targetId=page['targetId'], flatten=True)['sessionId']
        self.call('Page.enable')
        self.call('Emulation.setDeviceMetricsOverride', width=900, height=760,
                  deviceScaleFactor=1, mobile=False)

    def _receive(self, end):
        while b'\0' not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError('Chromium did not answer')
            ready, _, _ = select.select([self._from_chromium], [], [], left)
            if ready:
                chunk = os.read(self._from_chromium, 1 << 20)
                if not chunk:
                    raise RuntimeError('Chromium closed its pipe: ' + self.log_tail())
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b'\0')
        return json.loads(message)

    def call(self, method, **params):
        self._next_id += 1
        message = {'id': self._next_id, 'method': method, 'params': params}
        if self.session:
            message['sessionId'] = self.session
        data = json.dumps(message).encode() + b'\0'
        while data:
            data = data[os.write(self._to_chromium, data):]
        end = time.monotonic() + DEADLINE
        while True:
            answer = self._receive(end)
            if answer.get('id') != self._next_id:
                continue
            if 'error' in answer:
                raise RuntimeError(f'{method}: {answer["error"]}')
            return answer['result']

    def evaluate(self, expression):
        result = self.call('Runtime.evaluate', expression=expression,
                           returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in result:
            raise RuntimeError(f'{expression}: {result["exceptionDetails"]}')
        return result['result'].get('value')

    def open(self, url):
        self.call('Page.navigate', url=url)
        # The page leaves "loading" once its translations are in.
        return wait_for(lambda: self.evaluate(
            "document.readyState === 'complete' && document.getElementById('app') &&"
            " document.getElementById('app').dataset.state !== 'loading' &&"
            " document.getElementById('app').dataset.state"), 'page')

    def figures(self):
        return self.evaluate('Object.assign({}, document.getElementById("app").dataset)')

    def screenshot(self, path):
        data = self.call('Page.captureScreenshot', format='png')['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def log_tail(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return f.read()[-2000:]

    def close(self):
        try:
            self.session = None
            self.call('Browser.close')
            self.proc.wait(10)
        except (OSError, RuntimeError, TimeoutError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chromium)
        os.close(self._from_chromium)


def luminance(css_colour):
    """0 (black) to 1 (white) for 'rgb(r, g, b)' or 'rgba(...)'."""
    r, g, b = (int(v) for v in re.findall(r'[\d.]+', css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def within(a, b):
    return b > 0 and abs(a - b) <= TOLERANCE * b


def check_run(tap, server, figures):
    """The page's figures against the server's log (8 checks)."""
    # The server logs a request when its response has ended, which may be
    # a moment after the page has it: wait for as many lines as requests.
    wanted = {'/download': int(figures.get('downloadRequests', -1)),
              '/upload': int(figures.get('uploadRequests', -1)),
              '/ping': PINGS + 1 + int(figures.get('loadedPings', 0))}

    def logged():
        log = server.requests()
        return all(sum(r[1] == path for r in log) >= n for path, n in wanted.items())
    try:
        wait_for(logged, 'log line for every request', 15)
    except TimeoutError:
        pass    # the checks below say what is missing
    log = server.requests()
    downloads = [r for r in log if r[1] == '/download']
    uploads = [r for r in log if r[1] == '/upload']
    pings = [r for r in log if r[1] == '/ping']
    sent = sum(r[3] for r in downloads)
    received = sum(r[4] for r in uploads)
    page_down = int(figures.get('downloadBytes', 0))
    page_up = int(figures.get('uploadBytes', 0))

    tap.check(figures.get('state') == 'done' and 'error' not in figures,
              'the page runs latency, download and upload to the end', figures)
    tap.check(within(page_down, sent),
              f'download: the page counted {page_down} bytes, the server sent {sent}',
              f'{len(downloads)} /download requests in the log')
    tap.check(within(page_up, received) and int(figures.get('uploadServerBytes', -1)) == received,
              f'upload: the page sent {page_up} bytes, the server received {received}',
              f'page: {figures}\n{len(uploads)} /upload requests in the log')
    tap.check(len(downloads) == int(figures.get('downloadRequests', -1)) and
              len(uploads) == int(figures.get('uploadRequests', -1)) and
              all(r[2] == 200 for r in downloads + uploads),
              f'one logged 200 per request: {len(downloads)} downloads, {len(uploads)} uploads',
              f'page: {figures}')
    loaded_pings = int(figures.get('loadedPings', 0))
    tap.check(int(figures.get('pings', 0)) == PINGS and loaded_pings > 0 and
              len(pings) == PINGS + 1 + loaded_pings,
              f'latency from {PINGS} pings after a first one, then {loaded_pings} under load'
              f' ({len(pings)} logged)')
    latency = float(figures.get('latencyMs', -1))
    jitter = float(figures.get('jitterMs', -1))
    loaded = float(figures.get('loadedLatencyMs', -1))
    rpm = float(figures.get('rpm', -1))
    tap.check(0 < latency < 1000 and 0 <= jitter < 1000 and 0 < loaded < 1000 and
              abs(rpm - 60000 / loaded) < 0.1,
              f'idle latency {latency} ms, jitter {jitter} ms, loaded {loaded} ms, {rpm} RPM')
    for kind in ('download', 'upload'):
        seconds = float(figures.get(kind + 'Seconds', 0))
        bps = float(figures.get(kind + 'Bps', 0))
        nbytes = int(figures.get(kind + 'Bytes', 0))
        # No new request after the time; the last ones are sized to end soon
        # after it (a quarter second's worth), so the phase is not much longer.
        tap.check(SECONDS <= seconds < SECONDS + 10 and bps > 0 and
                  abs(bps - nbytes * 8 / seconds) <= 1 + 1e-6 * bps,
                  f'{kind}: {nbytes} bytes in {seconds:.2f} s, {bps / 1e6:.1f} Mbit/s')


def state_of(browser):
    return browser.evaluate('document.getElementById("app").dataset.state')


def wait_end(browser, what):
    wait_for(lambda: state_of(browser) in ('done', 'error', 'idle'), what)
    return browser.figures()


def test_run(tap, browser, server, base, query, outdir):
    """A full run in English, light (10 checks)."""
    state = browser.open(base + query)
    shown = browser.evaluate('[document.getElementById("start").textContent,'
                             ' document.querySelector("img.icon").naturalWidth]')
    tap.check(state == 'idle' and shown[0] == 'Start' and shown[1] > 0,
              f'the page loads, idle, with its Start button and icon: {shown}')
    background = browser.evaluate('getComputedStyle(document.body).backgroundColor')
    tap.check(luminance(background) > 0.8, f'light by default: background {background}')
    browser.evaluate('document.getElementById("start").click()')
    figures = wait_end(browser, 'end of the run')
    tap.diag(f'page: {json.dumps(figures, sort_keys=True)}')
    browser.screenshot(os.path.join(outdir, 'web-light.png'))
    check_run(tap, server, figures)


def test_stop(tap, browser, base):
    """Stop in the middle of a long download ends the run at once."""
    browser.open(base + '?time=60&streams=2&pings=2&start=1')
    wait_for(lambda: browser.evaluate(
        'document.getElementById("app").dataset.phase') == 'download', 'download phase')
    began = time.monotonic()
    browser.evaluate('document.getElementById("start").click()')
    wait_for(lambda: state_of(browser) != 'running', 'end of the stopped run')
    took = time.monotonic() - began
    shown = browser.evaluate('[document.getElementById("app").dataset.state,'
                             ' document.getElementById("status").textContent,'
                             ' document.getElementById("start").textContent]')
    tap.check(shown == ['idle', 'Stopped', 'Start'] and took < 10,
              f'Stop ends a 60 s download in {took:.1f} s: {shown}')


def test_dark(tap, browser, base, query, outdir):
    browser.call('Emulation.setEmulatedMedia',
                 features=[{'name': 'prefers-color-scheme', 'value': 'dark'}])
    browser.open(base + query + '&start=1')
    state = wait_end(browser, 'end of the dark run').get('state')
    background = browser.evaluate('getComputedStyle(document.body).backgroundColor')
    browser.screenshot(os.path.join(outdir, 'web-dark.png'))
    tap.check(luminance(background) < 0.2 and state == 'done',
              f'dark mode: background {background}, the run ends {state}')


def test_busy(tap, browser, binary, tmp, servers):
    """A server with fewer slots than the page's streams answers 503 to
    some: the page ends in its error state with the reason. Five slots:
    loading the page takes at most three connections (the page, then its
    style, script and icon at once), six streams in flight take six."""
    busy = Server(binary, tmp, 'busy', ['--max-clients', '5'])
    servers.append(busy)
    browser.open(f'http://127.0.0.1:{busy.port}/?time=5&streams=6&pings=2&start=1')
    figures = wait_end(browser, 'end of the run on a busy server')
    status = browser.evaluate('document.getElementById("status").textContent')
    tap.check(figures.get('state') == 'error' and '503' in figures.get('error', '') and
              '503' in status, f'a busy server: {status}', figures)


def test_https(tap, browser, binary, tmp, servers):
    """The same page over HTTPS (ALPN http/1.1) from a server with a
    certificate: a short run whose bytes the server's log confirms."""
    tls = os.path.join(os.environ.get('WS_TEST_SRCDIR', os.path.dirname(__file__)), 'tls')
    secure = Server(binary, tmp, 'https', ['--tls-cert', os.path.join(tls, 'server.pem'),
                                           '--tls-key', os.path.join(tls, 'server-key.pem')])
    servers.append(secure)
    browser.open(f'https://127.0.0.1:{secure.port}/?time=1&streams=2&pings=3&start=1')
    figures = wait_end(browser, 'end of the run over HTTPS')
    log = secure.requests()
    sent = sum(r[3] for r in log if r[1] == '/download')
    received = sum(r[4] for r in log if r[1] == '/upload')
    page = (int(figures.get('downloadBytes', 0)), int(figures.get('uploadBytes', 0)))
    tap.check(figures.get('state') == 'done' and within(page[0], sent) and
              within(page[1], received),
              f'over HTTPS: the page counted {page}, the server sent {sent}, received {received}',
              figures)


def test_languages(tap, chromium, tmp, base, query, browsers):
    for lang, label, latency in (('de', 'Starten', 'Latenz im Leerlauf'),
                                 ('fr', 'Démarrer', 'Latence au repos')):
        browser = Browser(chromium, tmp, lang, ['--accept-lang=' + lang])
        browsers.append(browser)
        browser.open(base + query)
        shown = browser.evaluate(
            '[document.documentElement.lang, document.getElementById("start").textContent,'
            ' document.getElementById("label-latency").textContent]')
        tap.check(shown[0].startswith(lang) and shown[1:] == [label, latency],
                  f'--accept-lang={lang}: {shown}')


def has_page(base):
    try:
        urllib.request.urlopen(base, timeout=30).read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise
    return True


def main():
    tap = Tap()
    binary = os.environ.get('WIRESPEED')
    chromium = shutil.which('chromium')
    if not binary or not chromium:
        print('1..0 # SKIP needs $WIRESPEED and chromium', flush=True)
        return 0
    outdir = os.environ.get('WS_TEST_OUTDIR', tempfile.gettempdir())
    tmp = tempfile.mkdtemp(prefix='ws-web-')
    servers = []
    browsers = []
    try:
        server = Server(binary, tmp, 'server')
        servers.append(server)
        base = f'http://127.0.0.1:{server.port}/'
        if not has_page(base):
            print('1..0 # SKIP the server has no page at / (404)', flush=True)
            return 0
        tap.plan(17)
        query = f'?time={SECONDS}&streams={STREAMS}&pings={PINGS}'
        # The test certificate's CA is not the system's: the HTTPS check
        # trusts the certificate the way a user clicking through would.
        browser = Browser(chromium, tmp, 'en',
                          ['--accept-lang=en-US', '--ignore-certificate-errors'])
        browsers.append(browser)
        test_run(tap, browser, server, base, query, outdir)
        test_stop(tap, browser, base)
        test_busy(tap, browser, binary, tmp, servers)
        test_dark(tap, browser, base, query, outdir)
        test_https(tap, browser, binary, tmp, servers)
        test_languages(tap, chromium, tmp, base, query, browsers)
        while browsers:
            browsers.pop().close()
        codes = [(busy.stop(), busy) for busy in servers]
        tap.check(all(code == 0 for code, _ in codes),
                  f'the servers exit cleanly: {[code for code, _ in codes]}',
                  '\n'.join(s.output()[-3000:] for code, s in codes if code != 0))
    except (OSError, RuntimeError, TimeoutError, ValueError, KeyError) as error:
        # The plan then fails too: the checks after this one never ran.
        tap.check(False, f'the run goes on: {error}', traceback.format_exc())
        for server in servers:
            Tap.diag('server output:\n' + server.output()[-3000:])
        for browser in browsers:
            Tap.diag('chromium:\n' + browser.log_tail())
    finally:
        for browser in browsers:
            browser.close()
        for server in servers:
            server.stop()
        if not tap.failed:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            Tap.diag(f'kept {tmp}')
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
