#!/usr/bin/python3
"""browser_check.py PAGE.html SHOTS_DIR NAME [AXE_JS]

Opens PAGE.html (a file of an unpacked package) in Debian's headless
Chromium through chromedriver, as a learner would, at 390 px (a phone) and
1280 px (a desktop), and checks:
  - nothing is wider than the window: scrollWidth <= innerWidth;
  - the page has no script, and its Content-Security-Policy stops one that
    is added to it;
  - no request leaves the page's own file (Chromium's network log);
  - with AXE_JS (axe-core's axe.min.js), axe reports no WCAG 2.1 A/AA
    violation.
Screenshots go to SHOTS_DIR/NAME-390.png and NAME-1280.png (the first
screen) and NAME-390-full.png, NAME-1280-full.png (the whole page).
Prints one line per check; exits 1 on the first failure.
"""
import base64
import json
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def fail(msg):
    print("browser_check: " + msg, file=sys.stderr)
    sys.exit(1)


def driver():
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    o.add_argument("--headless=new")
    if os.geteuid() == 0:
        o.add_argument("--no-sandbox")  # Chromium refuses root otherwise
    o.add_argument("--disable-gpu")
    o.add_argument("--disable-dev-shm-usage")
    o.add_argument("--allow-file-access-from-files")
    o.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def requests(d):
    urls = []
    for entry in d.get_log("performance"):
        m = json.loads(entry["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            urls.append(m["params"]["request"]["url"])
    return urls


def main():
    page, shots, name = sys.argv[1], sys.argv[2], sys.argv[3]
    axe = sys.argv[4] if len(sys.argv) > 4 else None
    url = "file://" + os.path.abspath(page)
    os.makedirs(shots, exist_ok=True)
    d = driver()
    d.set_script_timeout(600)  # axe on 500 rows, on a busy machine
    try:
        for width in (390, 1280):
            d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": 900, "deviceScaleFactor": 1,
                "mobile": width < 600})
            d.get_log("performance")  # drop what came before
            d.get(url)
            sw = d.execute_script("return document.documentElement.scrollWidth")
            iw = d.execute_script("return window.innerWidth")
            if sw > iw:
                wide = d.execute_script("""
                    const w = window.innerWidth, out = [];
                    for (const e of document.querySelectorAll('body *')) {
                      const r = e.getBoundingClientRect();
                      if (r.right > w + 0.5 && !e.closest('.scroll'))
                        out.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right));
                    }
                    return out.slice(0, 8);""")
                fail("%s at %d px: scrollWidth %d > innerWidth %d: %s"
                     % (name, width, sw, iw, wide))
            print("ok %s %d px: scrollWidth %d <= innerWidth %d" % (name, width, sw, iw))
            others = [u for u in requests(d) if u != url]
            if others:
                fail("%s: requests left the page: %s" % (name, others[:5]))
            print("ok %s %d px: no request but the page itself" % (name, width))
            if d.execute_script("return document.scripts.length"):
                fail("%s: the page has a script" % name)
            # A script added to the page must be stopped by its CSP.
            d.execute_script("""
                const s = document.createElement('script');
                s.textContent = 'document.documentElement.dataset.ran = 1';
                document.head.appendChild(s);""")
            if d.execute_script("return document.documentElement.dataset.ran"):
                fail("%s: an inline script ran: the CSP does not forbid scripts" % name)
            print("ok %s %d px: no script, and the CSP stops an added one" % (name, width))
            d.get(url)  # the page as it was, for the screenshot and axe
            d.save_screenshot(os.path.join(shots, "%s-%d.png" % (name, width)))
            h = d.execute_script("return document.documentElement.scrollHeight")
            shot = d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(h, 16000), "scale": 1}})
            with open(os.path.join(shots, "%s-%d-full.png" % (name, width)), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            if axe:
                d.execute_script(open(axe, encoding="utf-8").read())
                res = d.execute_async_script("""
                    const done = arguments[arguments.length - 1];
                    axe.run(document, {runOnly: {type: 'tag', values:
                        ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                      .then(r => done(r.violations.map(v => ({id: v.id,
                        help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.html)}))))
                      .catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));""")
                if res:
                    fail("%s at %d px: axe-core violations: %s"
                         % (name, width, json.dumps(res, ensure_ascii=False)[:3000]))
                print("ok %s %d px: axe-core reports 0 WCAG 2.1 AA violations" % (name, width))
    finally:
        d.quit()


main()
