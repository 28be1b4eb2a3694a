"""SQLite persistence for the emulator: offers, price resources, jobs and the catalogue.

Documents are kept as JSON TEXT next to a few indexed columns that the API queries by
(owner, partner visibility, deletion, job status), so listing 5,000 offers in pages is an
index range scan. One connection, guarded by a lock: the ASGI app is single-process and
every write is serialized anyway (jobs run in submission order). ``data_dir=None`` keeps
everything in memory for tests.

A job's whole effect is applied inside one transaction, with a savepoint per resource so a
failed resource can be rolled back alone (``atomic_jobs=False``) or with the whole job.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from reconciler.emulator.catalogue import parse_catalogue
from reconciler.emulator.job_record import JobRecord

DB_NAME = "emulator.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS products (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
    product TEXT NOT NULL, plan_id TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (product, plan_id));
CREATE TABLE IF NOT EXISTS offers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    guid TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    partner_account TEXT,
    partner_visible INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS offers_owner ON offers (owner, deleted, seq);
CREATE INDEX IF NOT EXISTS offers_partner
    ON offers (partner_account, partner_visible, deleted, seq);
CREATE TABLE IF NOT EXISTS prices (id TEXT PRIMARY KEY, owner TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    due REAL NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (done, seq);
"""


def load_catalogue() -> list[dict[str, Any]]:
    """The packaged catalogue's products, completed like a user's (plan GUIDs derived)."""
    text = resources.files("reconciler.emulator").joinpath("data/catalogue.json").read_text("utf-8")
    return parse_catalogue(json.loads(text), "data/catalogue.json")


class Aliases(NamedTuple):
    """What an offer view names a pricing entry's product and plan by."""

    product: bool
    product_alias: object
    plan: bool
    plan_alias: object


class Store:
    def __init__(self, data_dir: Path | None) -> None:
        if data_dir is None:
            target = ":memory:"
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            target = str(data_dir / DB_NAME)
        # The event loop thread and the embedding thread may both touch the store.
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        # (product, plan reference) -> (product alias, plan alias): every offer view names
        # its pricing entries, and reading the catalogue rows for each one was most of a
        # list page's time. Cleared whenever the catalogue may have changed.
        self._aliases: dict[tuple[str, str], Aliases] = {}
        with self.lock:
            if data_dir is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            if self._db.execute("SELECT COUNT(*) FROM products").fetchone()[0] == 0:
                self._seed_catalogue()

    def close(self) -> None:
        with self.lock:
            self._db.close()

    # ---- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._aliases.clear()
                raise
            self._db.execute("COMMIT")

    def savepoint(self, name: str) -> None:
        self._db.execute(f"SAVEPOINT {name}")

    def release(self, name: str) -> None:
        self._db.execute(f"RELEASE {name}")

    def rollback_to(self, name: str) -> None:
        self._aliases.clear()
        self._db.execute(f"ROLLBACK TO {name}")
        self._db.execute(f"RELEASE {name}")

    # ---- meta ---------------------------------------------------------------------------

    def meta_get(self, key: str) -> str | None:
        with self.lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta_set(self, key: str, value: str) -> None:
        with self.lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- catalogue ----------------------------------------------------------------------

    def _seed_catalogue(self) -> None:
        self._put_products(load_catalogue())

    def _put_products(self, products: list[dict[str, Any]]) -> None:
        self._aliases.clear()
        start = self._db.execute("SELECT COUNT(*) FROM products").fetchone()[0]
        for pseq, product in enumerate(products, start):
            plans = product.get("plans", [])
            doc = {k: v for k, v in product.items() if k != "plans"}
            self._db.execute(
                "INSERT OR REPLACE INTO products (id, seq, doc) VALUES (?, ?, ?)",
                (product["id"], pseq, json.dumps(doc)),
            )
            for seq, plan in enumerate(plans):
                self._db.execute(
                    "INSERT OR REPLACE INTO plans (product, plan_id, seq, doc) VALUES (?, ?, ?, ?)",
                    (product["id"], plan["planId"], seq, json.dumps(plan)),
                )

    def add_products(self, products: list[dict[str, object]]) -> None:
        """Add (or replace) catalogue products and their plans."""
        with self.transaction():
            self._put_products(products)

    def products(self) -> list[dict[str, object]]:
        with self.lock:
            rows = self._db.execute("SELECT doc FROM products ORDER BY seq").fetchall()
        return [json.loads(r[0]) for r in rows]

    def product(self, product_id: str) -> dict[str, object] | None:
        with self.lock:
            row = self._db.execute(
                "SELECT doc FROM products WHERE id = ?", (product_id,)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def plans(self, product_id: str) -> list[dict[str, object]]:
        with self.lock:
            rows = self._db.execute(
                "SELECT doc FROM plans WHERE product = ? ORDER BY seq", (product_id,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def plan(self, product_id: str, plan_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute(
                "SELECT doc FROM plans WHERE product = ? AND plan_id = ?", (product_id, plan_id)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def aliases(self, product_id: str, plan_ref: str) -> Aliases:
        """The aliases of *product_id* and of the plan *plan_ref* ("" for none) names in it,
        each as (found, alias)."""
        key = (product_id, plan_ref)
        with self.lock:
            found = self._aliases.get(key)
            if found is None:
                product = self.product(product_id)
                plan = self.find_plan(product_id, plan_ref) if product and plan_ref else None
                found = Aliases(
                    product is not None,
                    None if product is None else product["alias"],
                    plan is not None,
                    None if plan is None else plan["alias"],
                )
                self._aliases[key] = found
            return found

    def find_plan(self, product_id: str, ref: str) -> dict[str, Any] | None:
        """The plan *ref* names in *product_id*: ``plan/<productGuid>/<planGuid>`` (its durable
        id) or ``plan/<planId>`` / ``<planId>`` (its external id). A three-part reference is a
        durable id only: ``plan/<productGuid>/<planId>`` names no plan."""
        parts = ref.split("/")
        if len(parts) == 3 and parts[0] == "plan":
            if f"product/{parts[1].lower()}" != product_id.lower():
                return None
            guid = parts[2].lower()
            return next((p for p in self.plans(product_id) if p.get("planGuid") == guid), None)
        if len(parts) > 2 or (len(parts) == 2 and parts[0] != "plan"):
            return None
        return self.plan(product_id, parts[-1])

    # ---- offers -------------------------------------------------------------------------

    def get_offer(self, guid: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute("SELECT doc FROM offers WHERE guid = ?", (guid,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put_offer(self, guid: str, record: dict[str, Any]) -> None:
        partner = record.get("partner") or {}
        values = (
            record["owner"],
            partner.get("account"),
            1 if partner.get("visible") else 0,
            1 if record["state"] == "deleted" else 0,
            json.dumps(record),
        )
        with self.lock:
            cur = self._db.execute(
                "UPDATE offers SET owner = ?, partner_account = ?, partner_visible = ?,"
                " deleted = ?, doc = ? WHERE guid = ?",
                (*values, guid),
            )
            if cur.rowcount == 0:
                self._db.execute(
                    "INSERT INTO offers (owner, partner_account, partner_visible, deleted, doc,"
                    " guid) VALUES (?, ?, ?, ?, ?, ?)",
                    (*values, guid),
                )

    def list_offers(
        self, account: str, after: int, limit: int
    ) -> list[tuple[int, dict[str, object]]]:
        """Offers *account* sees (owned, or visible to it as the selling partner), by age."""
        with self.lock:
            rows = self._db.execute(
                "SELECT seq, doc FROM offers WHERE deleted = 0 AND seq > ? AND owner = ?"
                " UNION ALL "
                "SELECT seq, doc FROM offers WHERE deleted = 0 AND seq > ? AND"
                " partner_account = ? AND partner_visible = 1 AND owner != ?"
                " ORDER BY seq LIMIT ?",
                (after, account, after, account, account, limit),
            ).fetchall()
        return [(int(r[0]), json.loads(r[1])) for r in rows]

    # ---- price resources ----------------------------------------------------------------

    def get_price(self, durable_id: str) -> dict[str, object] | None:
        with self.lock:
            row = self._db.execute("SELECT doc FROM prices WHERE id = ?", (durable_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put_price(self, durable_id: str, owner: str, doc: dict[str, object]) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO prices (id, owner, doc) VALUES (?, ?, ?)",
                (durable_id, owner, json.dumps(doc)),
            )

    # ---- jobs ---------------------------------------------------------------------------

    def add_job(self, job: JobRecord, due: float) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO jobs (id, account, done, due, doc) VALUES (?, ?, 0, ?, ?)",
                (job.job_id, job.account, due, job.model_dump_json()),
            )

    def get_job(self, job_id: str) -> JobRecord | None:
        with self.lock:
            row = self._db.execute("SELECT doc FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else JobRecord.model_validate_json(row[0])

    def put_job(self, job: JobRecord, *, done: bool) -> None:
        with self.lock:
            self._db.execute(
                "UPDATE jobs SET doc = ?, done = ? WHERE id = ?",
                (job.model_dump_json(), 1 if done else 0, job.job_id),
            )

    def pending_jobs(self) -> list[tuple[str, float]]:
        with self.lock:
            rows = self._db.execute(
                "SELECT id, due FROM jobs WHERE done = 0 ORDER BY seq"
            ).fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    # ---- reset --------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            for table in ("offers", "prices", "jobs", "products", "plans"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._seed_catalogue()
