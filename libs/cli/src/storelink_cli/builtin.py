"""Commands the foundation provides: schema generation and topic creation.

What a command needs (the contracts' models, Kafka's admin client, Rich) is imported when it runs,
so listing and `--help` stay fast.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console


def _console(stderr: bool = True) -> Console:
    from rich.console import Console

    return Console(stderr=stderr)


def schemas(
    docs_dir: Annotated[Path, typer.Option(help="Where docs/ is")] = Path("docs"),
    check: Annotated[bool, typer.Option("--check", help="Fail when the committed files are stale")] = False,
) -> None:
    """Write a JSON Schema per event and the AsyncAPI document into docs/."""
    from storelink_contracts.schemas import render_all, write_all

    console = _console()
    if check:
        stale = [
            rel
            for rel, text in render_all().items()
            if not (docs_dir / rel).is_file() or (docs_dir / rel).read_text() != text
        ]
        if stale:
            console.print(f"[red]stale or missing:[/red] {', '.join(stale)}; run `make schemas`")
            raise typer.Exit(1)
        console.print("schemas are up to date")
        return
    for path in write_all(docs_dir):
        console.print(f"wrote {path}")


topics_app = typer.Typer(help="Kafka topics as the contracts define them.", no_args_is_help=True)


@topics_app.command("create")
def topics_create(
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers (default: STORELINK_KAFKA_*)")
    ] = None,
    replication_factor: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Create every topic (and its DLQ) that does not exist yet."""
    from storelink_kit.admin import ensure_topics
    from storelink_kit.settings import KafkaSettings

    settings = KafkaSettings()
    servers = bootstrap or settings.bootstrap_servers
    created = asyncio.run(ensure_topics(servers, settings.topics, replication_factor=replication_factor))
    _console().print(f"created {len(created)} topic(s): {', '.join(created) or '-'}")


@topics_app.command("list")
def topics_list() -> None:
    """Print the topic table: name, key, partitions, compaction."""
    from rich.table import Table

    from storelink_kit.settings import KafkaSettings

    table = Table("topic", "key", "partitions", "compacted")
    for name, spec in KafkaSettings().topics.all():
        table.add_row(name, spec.key, str(spec.partitions), "yes" if spec.compacted else "")
    _console(stderr=False).print(table)
