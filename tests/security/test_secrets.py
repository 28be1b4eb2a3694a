"""Canary secrets planted in every source the tool reads never come out anywhere.

The sources: the client secret (``AZURE_CLIENT_SECRET``), a certificate's password, a
federated token file, a SAS signature reached through ``${SAS_URL}`` in an offer file, the
GitHub token, and the access tokens the emulator issues (JWTs: any ``eyJ…`` string in the
output is a leak). The commands run as CI runs them -- subprocesses with ``-vv`` debug logging,
``GITHUB_ACTIONS=true``, a step summary and ``GITHUB_OUTPUT`` -- through success paths and
error paths (a refused secret, a wrong certificate password, a failing job, GitHub answering
500), and then every byte they produced is scanned: stdout, stderr, plan and markdown files,
journals, the step summary, ``GITHUB_OUTPUT``, and the comment bodies the GitHub stand-in got.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability.support import EXAMPLES, PYTHON, subprocess_env
from tests.support.github_server import GitHubServer

PUBLISHER_ID = "00000000-0000-0000-0000-0000000000a1"
DEMO_SECRET = "emulator-publisher-secret"
WRONG_SECRET = "CANARY-client-secret-7f3a9d"
CERT_PASSWORD = "CANARY-cert-password-51c2e8"
SAS_SIG = "CANARYsas0123456789abcdefSIG%3D"
SAS_URL = (
    "https://contosolegal.blob.core.windows.net/terms/coho.pdf"
    f"?sv=2022-11-02&sr=b&sp=r&se=2027-12-31&sig={SAS_SIG}"
)
GITHUB_TOKEN = "ghs_CANARYgithubtoken0123456789abcd"
# The signature segment of the federated assertion (256 bytes, like RS256): its canary.
FED_SIGNATURE = (
    base64.urlsafe_b64encode(b"CANARY-federated-signature".ljust(256, b"\x07"))
    .rstrip(b"=")
    .decode()
)
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def federated_token() -> str:
    """A GitHub-issued-looking assertion; the emulator does not check its signature."""
    now = int(time.time())
    header = _b64({"alg": "RS256", "typ": "JWT", "kid": "canary"})
    claims = _b64({
        "iss": "https://token.actions.githubusercontent.com", "aud": "api://AzureADTokenExchange",
        "sub": "repo:octo/offers:ref:refs/heads/main", "iat": now, "nbf": now, "exp": now + 3600,
    })  # fmt: skip
    return f"{header}.{claims}.{FED_SIGNATURE}"


def certificate(path: Path, password: str) -> None:
    """A self-signed certificate and its key, encrypted with *password*, in one PEM file."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reconciler canary")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    ) + cert.public_bytes(serialization.Encoding.PEM)
    path.write_bytes(pem)


@dataclass
class Runner:
    """A CI job: a project, GitHub Actions files, the GitHub stand-in, and every output."""

    root: Path
    github: GitHubServer
    outputs: list[str] = field(default_factory=list)
    codes: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    _events: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, *args: str, env: dict[str, str], pr: int | None = None) -> int:
        with self._lock:  # one event file per command: commands may run side by side
            self._events += 1
            event = self.root / f"event-{self._events}.json"
        if pr is not None:
            event.write_text(json.dumps({
                "number": pr, "repository": {"full_name": "octo/offers"},
                "pull_request": {"number": pr, "head": {"sha": "c" * 40,
                                 "repo": {"full_name": "octo/offers"}}},
            }))  # fmt: skip
        else:
            event.write_text(json.dumps({"after": "d" * 40}))
        full = subprocess_env(
            GITHUB_ACTIONS="true",
            GITHUB_API_URL=self.github.url,
            GITHUB_SERVER_URL="https://github.example",
            GITHUB_REPOSITORY="octo/offers",
            GITHUB_RUN_ID="77",
            GITHUB_EVENT_NAME="pull_request" if pr is not None else "push",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_SHA="d" * 40,
            GITHUB_STEP_SUMMARY=str(self.root / "summary.md"),
            GITHUB_OUTPUT=str(self.root / "github_output"),
            GITHUB_TOKEN=GITHUB_TOKEN,
            SAS_URL=SAS_URL,
            RECONCILER_DEBUG="1",  # even an internal error's traceback must be clean
            **env,
        )
        done = subprocess.run(
            [PYTHON, "-m", "reconciler", "-vv", *args],
            cwd=self.root, env=full, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        with self._lock:
            self.outputs += [done.stdout, done.stderr]
            self.codes.append((args, done.returncode))
        return done.returncode

    def together(self, *commands: tuple[tuple[str, ...], dict[str, str], int | None]) -> list[int]:
        """Run independent commands (args, env, pull request) side by side: their exit codes.

        Each is still its own process, as on a CI runner; running them at once only saves
        the wait for each interpreter's start-up."""
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            futures = [pool.submit(self.run, *args, env=env, pr=pr) for args, env, pr in commands]
            return [future.result() for future in futures]

    def artifacts(self) -> Iterator[tuple[str, str]]:
        for i, text in enumerate(self.outputs):
            yield f"process output #{i}", text
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.relative_to(self.root).parts[0].startswith("emu"):
                if path.suffix in (".pem", ".sqlite3") or path.name == "token.jwt":
                    continue  # the planted sources themselves
                yield str(path.relative_to(self.root)), path.read_text("utf-8", "replace")
        for recorded in self.github.requests:
            yield f"GitHub {recorded.method} {recorded.path}", json.dumps(recorded.json)


CANARIES = [WRONG_SECRET, DEMO_SECRET, CERT_PASSWORD, SAS_SIG, GITHUB_TOKEN, FED_SIGNATURE]


def assert_no_canary(runner: Runner, extra: tuple[str, ...] = ()) -> None:
    scanned = 0
    for where, text in runner.artifacts():
        scanned += 1
        for canary in (*CANARIES, *extra):
            assert canary not in text, f"{canary[:12]}... leaked in {where}"
        leaked = JWT.search(text)
        assert leaked is None, f"a token (JWT) leaked in {where}: {leaked.group(0)[:20]}..."
        assert "Traceback" not in text, f"traceback in {where}"
    assert scanned > 10


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    offers = tmp_path / "offers"
    shutil.copytree(EXAMPLES, offers, ignore=shutil.ignore_patterns("partner"))
    coho = offers / "originator-absolute.yaml"
    text = coho.read_text()
    coho.write_text(re.sub(r"sasUrl: \S+", "sasUrl: ${SAS_URL}", text, count=1))
    # A file that validates but whose job fails (no such product): the failure path of apply.
    failing = (offers / "customer-percentage.yaml").read_text()
    failing = failing.replace("product/34771906-9711-4196-9f60-4af380fd5042", UNKNOWN_PRODUCT)
    (offers / "failing.yaml").write_text(failing.replace("name: ", "name: Failing ", 1))
    (tmp_path / "reconciler.toml").write_text('env = ["SAS_URL"]\n[apply]\npoll-interval = 0.05\n')
    with GitHubServer(repository="octo/offers", token=GITHUB_TOKEN) as github:
        github.add_pull(5, merge_commit_sha="d" * 40, merged=True)
        yield Runner(tmp_path, github)


EMU = ("--emulator", "--emulator-data", "emu")
# No such product in the emulator's catalogue: its plan list is not found, so the plan cannot
# tell (an unknown plan of a known product is refused before any request); the job fails.
UNKNOWN_PRODUCT = "product/00000000-0000-4000-8000-000000000999"
# The refused attempts run beside the good ones, so they get an emulator data folder of their own.
EMU_REFUSED = ("--emulator", "--emulator-data", "emu-refused")


def _secret_env(secret: str) -> dict[str, str]:
    return {
        "AZURE_TENANT_ID": "canary",
        "AZURE_CLIENT_ID": PUBLISHER_ID,
        "AZURE_CLIENT_SECRET": secret,
    }


@pytest.mark.timeout(240)
def test_client_secret_sas_and_github_token_never_leak(runner: Runner) -> None:
    good = _secret_env(DEMO_SECRET)
    assert runner.together(
        (("validate", "offers"), good, None),
        # error path: a refused client secret
        (("plan", "offers", *EMU_REFUSED), _secret_env(WRONG_SECRET), None),
        (("plan", "offers", "--out", "plan.json", "--markdown-out", "plan.md",
          "--detailed-exitcode", *EMU), good, None),
    ) == [0, 1, 2]  # fmt: skip
    assert SAS_SIG not in (runner.root / "plan.json").read_text()
    assert "${SAS_URL}" in (runner.root / "plan.json").read_text()
    assert runner.together(
        (("github", "comment-plan", "--body-file", "plan.md", "--summary-json", "plan.json"),
         good, 5),
        # error path: one job fails (no such plan), the others succeed; the SAS URL is sent.
        (("apply", "plan.json", "--auto-approve", "--markdown-out", "apply.md", *EMU), good, None),
    ) == [0, 5]  # fmt: skip
    assert runner.run("jobs", "list", env=good) == 0
    assert runner.run("jobs", "resume", *EMU, env=good) == 0
    runner.github.fail(500, method="POST", count=10)  # error path: GitHub is down
    reported, drift = runner.together(
        (("github", "report-apply", "--body-file", "apply.md", "--exit-code", "5"), good, None),
        (("drift", "offers", *EMU), good, None),
    )  # fmt: skip
    assert reported == 0
    assert drift in (0, 2)
    # The SAS URL did reach the API, expanded, where it belongs.
    from reconciler.emulator.config import EmulatorConfig
    from reconciler.emulator.server import EmbeddedEmulator

    # The full offers, not the list's summaries: their terms URLs are what is looked at.
    config = EmulatorConfig(data_dir=runner.root / "emu", static_tokens=True, list_shape="full")
    with EmbeddedEmulator(config) as emu:
        import httpx

        offers = httpx.get(
            emu.api_url + "/private-offer/query?$version=2023-07-15",
            headers={"Authorization": "Bearer emulator:publisher"},
        ).json()["privateOffers"]
    assert any(SAS_SIG in json.dumps(o) for o in offers)
    # The scan covered every kind of artifact (so a leak anywhere would have been seen).
    scanned = {where for where, _ in runner.artifacts()}
    for expected in ("plan.json", "plan.md", "apply.md", "summary.md", "github_output"):
        assert expected in scanned, sorted(scanned)
    assert any(w.startswith(".reconciler/journal/") for w in scanned), sorted(scanned)
    assert any(w.startswith("GitHub POST") for w in scanned), sorted(scanned)
    assert_no_canary(runner)


@pytest.mark.timeout(240)
def test_certificate_password_and_federated_token_never_leak(runner: Runner) -> None:
    cert = runner.root / "client.pem"
    certificate(cert, CERT_PASSWORD)
    with_cert = {"AZURE_TENANT_ID": "canary", "AZURE_CLIENT_ID": PUBLISHER_ID,
                 "AZURE_CLIENT_CERTIFICATE_PATH": str(cert),
                 "AZURE_CLIENT_CERTIFICATE_PASSWORD": CERT_PASSWORD}  # fmt: skip
    wrong = {**with_cert, "AZURE_CLIENT_CERTIFICATE_PASSWORD": "CANARY-wrong-password-x"}
    assert runner.together(
        (("plan", "offers", "--out", "plan.json", *EMU), with_cert, None),
        (("plan", "offers", *EMU_REFUSED), wrong, None),  # error path
    ) == [0, 1]  # fmt: skip
    token = runner.root / "token.jwt"
    token.write_text(federated_token())
    federated = {"AZURE_TENANT_ID": "canary", "AZURE_CLIENT_ID": PUBLISHER_ID,
                 "AZURE_FEDERATED_TOKEN_FILE": str(token)}  # fmt: skip
    empty = runner.root / "empty" / "token.jwt"  # error path: an empty token file
    empty.parent.mkdir()
    empty.write_text("")
    assert runner.together(
        (("apply", "plan.json", "--auto-approve", *EMU), federated, None),
        (("plan", "offers", *EMU_REFUSED), {**federated, "AZURE_FEDERATED_TOKEN_FILE": str(empty)},
         None),
    ) == [5, 1]  # fmt: skip
    assert_no_canary(runner, extra=("CANARY-wrong-password-x", federated_token().split(".")[1]))
