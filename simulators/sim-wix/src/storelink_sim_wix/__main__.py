"""`python -m storelink_sim_wix` / `storelink-sim-wix`: the simulator as a process (for `make up`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
import uvicorn

from storelink_sim_wix.app import create_app
from storelink_sim_wix.fixtures import demo
from storelink_sim_wix.state import WixSim

cli = typer.Typer(add_completion=False)


@cli.command()
def run(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8091,
    rate_limit: Annotated[int, typer.Option(help="requests per minute per site")] = 200,
    seed_demo: Annotated[
        bool, typer.Option("--demo/--empty", help="start with a demo account and sites")
    ] = True,
) -> None:
    """Serve the Wix API simulator until Ctrl-C."""
    sim = WixSim(rate_limit=rate_limit)
    if seed_demo:
        typer.echo(json.dumps(demo(sim)))
    uvicorn.run(create_app(sim), host=host, port=port, log_level="warning")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
