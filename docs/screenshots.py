"""Render the plan comment, the apply report and the drift issue as GitHub shows them.

A scripted session against the embedded emulator (apply the example offers; change a
discount, rename an offer, remove a file, add an offer; plan; apply; a failing republish;
edit a live offer outside git; drift) produces the bodies exactly as ``reconciler github
...`` posts them. They are rendered with GitHub's own Markdown implementation (cmark-gfm,
through the ``cmarkgfm`` package) into a page styled like a GitHub comment, Mermaid blocks
are drawn by the npm package ``mermaid`` (as GitHub draws them), and headless Chromium
takes a screenshot of each at 1000 px and at 400 px (a phone):

    npm install --prefix /tmp/mermaid mermaid   # once: the Mermaid the pages load locally
    python docs/screenshots.py --mermaid /tmp/mermaid/node_modules/mermaid/dist/mermaid.min.js
    python docs/screenshots.py --check          # exit 1 when the .md files differ from now

Without ``--mermaid`` (or ``MERMAID_JS``) the script refuses to take screenshots: a PNG
without the timeline would not show what GitHub shows.

Ids, eTags, checksums and dates change on every run; they are replaced by stable
placeholders (``private-offer/00000000-…-000000000001`` in order of appearance) so the
committed files only change when the output does. ``--check`` needs no browser.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
NAMES = ("plan-comment", "apply-report", "apply-report-failed", "drift-issue")
WIDTHS = {"": 1000, "-400": 400}  # file suffix -> window width
DRIFTED = "Contoso Analytics CSP margin 2027"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAMP = re.compile(r"\d{4}\\?-\d{2}\\?-\d{2} \d{2}\\?:\d{2} UTC")
CHECKSUM = re.compile(r"sha256:[0-9a-f]{12,64}")
META = re.compile(r"<!-- reconciler:meta [^>]*-->")
COMMIT = re.compile(r"(?<=commit `)[0-9a-f]{7,40}(?=`)")
ALERT = re.compile(r"<blockquote>\n<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\n?")
PRESERVED = frozenset(
    # ids written in the example files: they read the same in every run
    GUID.findall("\n".join(p.read_text() for p in (ROOT / "offers").rglob("*.yaml")))
)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, BlinkMacSystemFont,
  "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }}
.timeline {{ max-width: 760px; margin: 16px 8px 16px 8px; }}
pre.mermaid {{ background: #fff !important; text-align: center; }}
.comment {{ border: 1px solid #d1d9e0; border-radius: 6px; background: #fff; }}
.header {{ padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0;
  border-radius: 6px 6px 0 0; color: #59636e; }}
.markdown-body {{ padding: 16px; overflow-wrap: break-word; }}
.markdown-body h2 {{ font-size: 1.5em; border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }}
.markdown-body h3 {{ font-size: 1.25em; }}
.markdown-body table {{ border-collapse: collapse; display: block; overflow: auto; }}
.markdown-body td, .markdown-body th {{ border: 1px solid #d1d9e0; padding: 6px 13px; }}
.markdown-body tr:nth-child(2n) {{ background: #f6f8fa; }}
.markdown-body code {{ background: #eff1f3; border-radius: 6px; padding: .2em .4em;
  font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }}
.markdown-body pre {{ background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto;
  font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }}
.markdown-body pre code {{ background: none; padding: 0; font-size: 100%; }}
.markdown-body blockquote {{ border-left: .25em solid #d1d9e0; margin: 0; padding: 0 1em;
  color: #59636e; }}
.alert {{ border-left-width: .25em; }}
.alert.note {{ border-color: #0969da; }} .alert.note b {{ color: #0969da; }}
.alert.important {{ border-color: #8250df; }} .alert.important b {{ color: #8250df; }}
.alert.warning {{ border-color: #9a6700; }} .alert.warning b {{ color: #9a6700; }}
.alert.caution {{ border-color: #d1242f; }} .alert.caution b {{ color: #d1242f; }}
.markdown-body details summary {{ cursor: pointer; font-weight: 600; }}
.markdown-body hr {{ border: 0; border-top: 1px solid #d1d9e0; }}
</style></head>
<body><div class="timeline"><div class="comment">
<div class="header"><b>github-actions</b> bot commented</div>
<div class="markdown-body">
{body}
</div></div></div>
{scripts}
</body></html>
"""


def _stamp(match: re.Match[str]) -> str:
    fixed = "2026-12-01 09:00 UTC"
    if "\\" in match.group(0):  # the markdown-escaped form
        fixed = fixed.replace("-", "\\-").replace(":", "\\:")
    return fixed


def normalise(text: str) -> str:
    """Stable placeholders for what changes on every run (ids, checksums, times)."""
    seen: dict[str, str] = {}

    def guid(match: re.Match[str]) -> str:
        value = match.group(0)
        if value in PRESERVED:
            return value
        if value not in seen:
            seen[value] = f"00000000-0000-0000-0000-{len(seen) + 1:012d}"
        return seen[value]

    text = GUID.sub(guid, text)
    text = CHECKSUM.sub("sha256:0123456789ab", text)
    text = COMMIT.sub(lambda m: "5d1e6a1f00ab"[: len(m.group(0))], text)
    text = text.replace(dt.date.today().isoformat(), "2026-12-01")  # the timeline's today
    text = STAMP.sub(
        lambda m: "2026-12-01 09:00 UTC".replace("-", "\\-" if "\\" in m.group(0) else "-").replace(
            ":", "\\:" if "\\" in m.group(0) else ":"
        ),
        text,
    )
    return META.sub("<!-- reconciler:meta (state) -->", text)


def render_html(markdown: str, title: str, mermaid_js: Path | None = None) -> str:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    # GitHub turns "> [!WARNING]" blockquotes into alerts after cmark-gfm; do the same
    body = ALERT.sub(
        lambda m: (
            f'<blockquote class="alert {m.group(1).lower()}">\n'
            f"<p><b>{m.group(1).title()}</b></p>\n<p>"
        ),
        body,
    )
    # GitHub draws ```mermaid blocks; the page does the same when given Mermaid's script.
    body = MERMAID_BLOCK.sub(r'<pre class="mermaid">\1</pre>', body)
    return PAGE.format(title=html.escape(title), body=body, scripts=_scripts(mermaid_js))


MERMAID_BLOCK = re.compile(r'<pre lang="mermaid"><code>(.*?)</code></pre>', re.S)
MEASURE = '<script>document.title = "height=" + document.documentElement.scrollHeight;</script>'


def _scripts(mermaid_js: Path | None) -> str:
    """The page's scripts: Mermaid (a local file: no network), then the height measurement."""
    if mermaid_js is None:
        return MEASURE
    return (
        f'<script src="{mermaid_js.resolve().as_uri()}"></script>\n'
        "<script>mermaid.initialize({startOnLoad: false, theme: 'default'});\n"
        "mermaid.run().then(() => { document.title = 'height=' + "
        "document.documentElement.scrollHeight; });</script>"
    )


# How one `reconciler ARGS` is run: (folder, environment, args) -> (exit code, stdout, stderr).
# The script starts a process per command; the test suite runs them in its own process.
Runner = Callable[[Path, dict[str, str], Sequence[str]], tuple[int, str, str]]


def run_subprocess(cwd: Path, env: dict[str, str], args: Sequence[str]) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _run(cwd: Path, runner: Runner, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RECONCILER_"))}
    env.update(
        # the session shows outcomes, not waiting: the embedded emulator's jobs end at once
        RECONCILER_EMULATOR_JOB_LATENCY="0",
        NO_COLOR="1",
        GITHUB_REPOSITORY="contoso/offers",
        GITHUB_RUN_ID="4242",
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_SHA="8f3c2a1b9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
    )
    code, out, err = runner(cwd, env, args)
    if code not in ok:
        raise SystemExit(f"reconciler {' '.join(args)} exited {code}:\n{err}")
    return out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"{path}: {old!r} not found; update docs/screenshots.py")
    path.write_text(text.replace(old, new, 1))


@contextmanager
def _project() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="reconciler-shots-") as tmp:
        project = Path(tmp)
        shutil.copytree(ROOT / "offers", project / "offers")
        (project / "reconciler.toml").write_text(
            'offers = "offers"\n[apply]\npoll-interval = 0.01\n'
        )
        for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "offers"]):
            subprocess.run(
                ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.com", *args],
                cwd=project,
                check=True,
                capture_output=True,
            )
        yield project


def bodies(runner: Runner = run_subprocess) -> dict[str, str]:
    """The bodies exactly as the github commands print them (--dry-run)."""
    with _project() as project:
        _run(project, runner, "apply", "--emulator", "--auto-approve")
        offers = project / "offers"
        _edit(
            offers / "customer-percentage.yaml", "discountPercentage: 10", "discountPercentage: 12"
        )
        _edit(offers / "originator-percentage.yaml", "state: live", "state: withdrawn")
        (offers / "customer-absolute.yaml").unlink()
        new = (offers / "customer-renewal.yaml").read_text()
        new = new.replace("Litware Analytics renewal 2027", "Litware Analytics renewal 2028")
        (offers / "customer-renewal-2028.yaml").write_text(
            new.replace("state: live", "state: draft")
        )
        # The plan's outputs go outside the checkout, as in the workflow (RUNNER_TEMP).
        temp = Path(tempfile.mkdtemp(prefix="runner-temp-"))
        plan_json, plan_md = str(temp / "plan.json"), str(temp / "plan.md")
        flags = ("--emulator", "--allow-republish", "--out", plan_json)
        _run(project, runner, "plan", *flags, "--markdown-out", plan_md, "--baseline", "HEAD")
        event = project / "event.json"
        event.write_text(
            '{"number": 42, "pull_request": {"number": 42, "head": {"sha": '
            '"5d1e6a1f00000000000000000000000000000000", "repo": {"full_name": '
            '"contoso/offers"}}, "base": {"ref": "main", "repo": {"full_name": '
            '"contoso/offers"}}}}'
        )
        os.environ["GITHUB_EVENT_PATH"] = str(event)
        plan = _run(
            project,
            runner,
            "github",
            "comment-plan",
            "--body-file",
            plan_md,
            "--summary-json",
            plan_json,
            "--dry-run",
        )
        _run(
            project,
            runner,
            "apply",
            plan_json,
            "--emulator",
            "--auto-approve",
            "--markdown-out",
            "apply.md",
            ok=(0, 5),
        )
        apply = _run(
            project,
            runner,
            "github",
            "report-apply",
            "--body-file",
            "apply.md",
            "--exit-code",
            "0",
            "--dry-run",
        )
        subprocess.run(["git", "add", "-A"], cwd=project, check=True)
        subprocess.run(
            ["git", "-c", "user.name=d", "-c", "user.email=d@e", "commit", "-qm", "merge"],
            cwd=project,
            check=True,
        )
        _drift_live(project)
        _run(
            project,
            runner,
            "drift",
            "--emulator",
            "--out",
            "drift.json",
            "--markdown-out",
            "drift.md",
            ok=(2,),
        )
        drift = _run(
            project,
            runner,
            "github",
            "drift-issue",
            "--body-file",
            "drift.md",
            "--report-json",
            "drift.json",
            "--drift",
            "--dry-run",
        )
        failed = _failed_apply(project, runner)
        del os.environ["GITHUB_EVENT_PATH"]
        shutil.rmtree(temp, ignore_errors=True)
    return {
        "plan-comment": plan,
        "apply-report": apply,
        "apply-report-failed": failed,
        "drift-issue": drift,
    }


def _failed_apply(project: Path, runner: Runner) -> str:
    """A republish whose second step fails (a product the catalogue does not have; an unknown
    plan of a known product is refused by the plan itself): the offer is left withdrawn, and
    the report has to say so."""
    woodgrove = project / "offers" / "customer-percentage.yaml"
    unknown = "product/00000000-0000-4000-8000-000000000999"
    _edit(woodgrove, "product: product/34771906-9711-4196-9f60-4af380fd5042", f"product: {unknown}")
    args = ("apply", "offers/customer-percentage.yaml", "--emulator", "--auto-approve")
    _run(project, runner, *args, "--allow-republish", "--markdown-out", "failed.md", ok=(5,))
    return _run(
        project,
        runner,
        "github",
        "report-apply",
        "--body-file",
        "failed.md",
        "--exit-code",
        "5",
        "--dry-run",
    )


def _drift_live(project: Path) -> None:
    """Someone edits a live offer in Partner Center: its discount and who prepared it."""
    sys.path.insert(0, str(ROOT))
    from reconciler.api.connect import connect_emulator
    from reconciler.emulator.config import EmulatorConfig
    from reconciler.emulator.server import EmbeddedEmulator
    from reconciler.settings import Settings

    config = EmulatorConfig(data_dir=project / ".reconciler" / "emulator", tls=True, admin=True)
    settings = Settings(root=project)
    with EmbeddedEmulator(config) as emu, connect_emulator(emu, settings, env={}) as client:
        listed = next(o for o in client.list_offers() if o.get("name") == DRIFTED)
        offer = client.get_offer(str(listed["id"]))  # the list may answer summaries
        pricing = [dict(entry) for entry in offer["pricing"]]
        pricing[0]["discountPercentage"] = 20
        emu.admin.edit(offer["id"], {"preparedBy": "someone@contoso.com", "pricing": pricing})


def _chromium(*args: str) -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found (Debian: apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                *args,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    return done.stdout


def screenshot(page: Path, png: Path, width: int) -> None:
    """A *width* px wide shot of *page*, as tall as its content (measured by a first load;
    the virtual time lets Mermaid finish drawing before either)."""
    wait = "--virtual-time-budget=15000"
    dom = _chromium(f"--window-size={width},800", wait, "--dump-dom", page.as_uri())
    found = re.search(r"<title>height=(\d+)</title>", dom)
    height = min(int(found.group(1)) + 16, 12000) if found else 2400
    _chromium(f"--window-size={width},{height}", wait, f"--screenshot={png}", page.as_uri())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with docs/screenshots")
    parser.add_argument("--no-png", action="store_true", help="write .md and .html only")
    parser.add_argument(
        "--mermaid",
        type=Path,
        default=os.environ.get("MERMAID_JS"),
        help="mermaid.min.js of the npm package `mermaid` (loaded from disk by the pages)",
    )
    args = parser.parse_args()
    if not args.check and not args.no_png and (args.mermaid is None or not args.mermaid.is_file()):
        raise SystemExit("give --mermaid PATH/mermaid.min.js (npm install mermaid): see --help")
    current = {name: normalise(text) for name, text in bodies().items()}
    if args.check:
        stale = [n for n in NAMES if (OUT / f"{n}.md").read_text() != current[n]]
        for name in stale:
            sys.stderr.write(
                f"docs/screenshots/{name}.md is out of date: run docs/screenshots.py\n"
            )
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        (OUT / f"{name}.md").write_text(current[name])
        (OUT / f"{name}.html").write_text(render_html(current[name], name))
        if not args.no_png:
            with tempfile.TemporaryDirectory(prefix="shot-") as tmp:
                page = Path(tmp) / f"{name}.html"
                page.write_text(render_html(current[name], name, args.mermaid))
                for suffix, width in WIDTHS.items():
                    screenshot(page, OUT / f"{name}{suffix}.png", width)
        sys.stdout.write(f"wrote docs/screenshots/{name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
