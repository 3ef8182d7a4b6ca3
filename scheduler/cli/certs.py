"""``certfleet cert``: import and list certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.certificates import load_trust_anchors, validate_bundle
from ledger.certstore import import_certificate, list_certificates
from ledger.errors import InputError
from ledger.timeutil import utcnow
from scheduler.cli.context import CONTEXT
from scheduler.cli.output import Output, OutputOption, console, emit, print_json

app = typer.Typer(help="Certificates.", no_args_is_help=True)


def _read(path: Path, field: str) -> str:
    try:
        return path.read_text()
    except OSError as error:
        raise InputError(field, f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(
            field, f"{path} is not PEM text (DER is not supported; convert it)"
        ) from None


@app.command("import")
def import_(
    cert: Annotated[Path, typer.Option("--cert", help="PEM: leaf first, then intermediates")],
    key: Annotated[
        Path | None, typer.Option(help="PEM private key (default: read from --cert)")
    ] = None,
    cert_type: Annotated[
        str, typer.Option("--type", help="uploaded (uses quota), issued or shared")
    ] = "uploaded",
    label: Annotated[str | None, typer.Option(help="A name to recognise it by")] = None,
    passphrase_file: Annotated[
        Path | None, typer.Option(help="File holding the key's passphrase")
    ] = None,
    trust_anchor: Annotated[
        list[Path] | None, typer.Option(help="PEM root(s) of a private CA that issued it")
    ] = None,
    output: Output = OutputOption,
) -> None:
    """Validate a certificate chain and key, then store them (the key encrypted)."""
    chain_text = _read(cert, "--cert")
    key_text = _read(key, "--key") if key else chain_text
    passphrase = (
        _read(passphrase_file, "--passphrase-file").strip().encode() if passphrase_file else None
    )
    anchors = [
        a for path in trust_anchor or [] for a in load_trust_anchors(_read(path, "--trust-anchor"))
    ]
    validated = validate_bundle(
        chain_text, key_text, passphrase=passphrase, now=utcnow(), trust_anchors=anchors
    )
    with CONTEXT.database.unit_of_work() as session:
        row, created = import_certificate(
            session, CONTEXT.vault, validated, cert_type=cert_type, label=label
        )
        cert_id = row.id
    data = {
        "id": cert_id,
        "created": created,
        "fingerprint": validated.fingerprint,
        "type": cert_type,
        "names": list(validated.names),
        "not_after": validated.not_after,
    }
    if output is Output.json:
        print_json(data)
    else:
        verb = "imported" if created else "already imported"
        names = ", ".join(validated.names)
        console.print(
            f"certificate {cert_id} {verb}: {names} (expires {validated.not_after:%Y-%m-%d})"
        )


@app.command("list")
def list_(output: Output = OutputOption) -> None:
    """List certificates, soonest expiry first."""
    now = utcnow()
    with CONTEXT.database.unit_of_work() as session:
        certificates = list_certificates(session)
    data = [
        {
            "id": c.id,
            "type": c.cert_type,
            "label": c.label,
            "names": c.names,
            "fingerprint": c.fingerprint,
            "not_after": c.not_after,
            "days_left": (c.not_after - now).days,
            "key_type": c.key_type,
        }
        for c in certificates
    ]
    emit(
        output,
        data,
        title="Certificates",
        columns=["id", "type", "names", "expires", "days left", "key", "fingerprint"],
        rows=[
            [
                c.id,
                c.cert_type,
                ", ".join(c.names),
                f"{c.not_after:%Y-%m-%d}",
                (c.not_after - now).days,
                c.key_type,
                c.fingerprint[:16],
            ]
            for c in certificates
        ],
    )
