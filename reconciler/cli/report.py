"""``reconciler report --html FILE``: every managed offer on one self-contained page.

Reads the offer files and the live account (never writes), and writes one HTML file with
no script and no network: customer, product and plan, discount and price against list,
term, accept-by, live state, accepted or not, and a timeline drawn as SVG.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from reconciler.cli.common import ApiTarget, AppContext, api_options, epilog, pass_app, role_option
from reconciler.errors import EXIT_OK, ReconcilerError
from reconciler.offers.domain import is_accepted, offer_key, role_types
from reconciler.offers.loader import load_offer_files


@click.command(
    "report",
    epilog=epilog(
        [(0, "the report was written"), (1, "error: offer files, settings, API or network")],
        [
            ("the deal desk's page of every offer", "reconciler report --html offers.html"),
            ("against the embedded emulator", "reconciler report --emulator --html offers.html"),
        ],
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--html",
    "html_out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the page here (one self-contained HTML file).",
)
@role_option
@api_options
@pass_app
def command(
    app: AppContext, paths: tuple[Path, ...], html_out: Path, role: str | None, api: ApiTarget
) -> int:
    """Write every managed offer's deal terms, state and timeline as one HTML page."""
    from reconciler.checks.deal import DealBuilder
    from reconciler.plan.plan_ids import priced_products, read_plan_ids
    from reconciler.render.html_report import ReportRow, render_html_report

    settings = app.settings
    kinds = role_types(api.role(role))
    files = [
        f
        for f in load_offer_files(list(paths) or [settings.offers_path()], settings)
        if f.kind in kinds
    ]
    with api.open(settings) as client:
        # plans by the external id the files write, whichever name the service reads back
        plans = read_plan_ids(client, priced_products(f.api_body() for f in files))
        live = plans.named_all(list(client.list_offers()))
        by_id = {offer_key(str(o.get("id", ""))): o for o in live if o.get("id")}
        by_name = {str(o.get("name")): o for o in live if o.get("state") != "deleted"}
        builder = DealBuilder(files, live, client)
        rows = []
        for f in sorted(files, key=lambda f: f.name):
            offer = by_id.get(offer_key(f.id)) if f.id else by_name.get(f.name)
            rows.append(
                ReportRow(
                    name=f.name,
                    file=str(f.path),
                    deal=builder.for_offer(f, offer),
                    state=str(offer.get("state")) if offer else "not created",
                    accepted=bool(offer and is_accepted(offer)),
                )
            )
        source = client.endpoint
    page = render_html_report(rows, today=dt.datetime.now(dt.UTC).date(), source=source)
    try:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"{html_out}: cannot write: {exc.strerror}") from None
    click.echo(f"Wrote {html_out}: {len(rows)} offers.")
    return EXIT_OK
