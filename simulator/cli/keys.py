"""``jointsim keys init``: the training site's signing key pair."""

from __future__ import annotations

from pathlib import Path

import typer

from simulator.cli import app

keys_app = typer.Typer(no_args_is_help=True, help="Signing keys that seal session logs.")
app.add_typer(keys_app, name="keys")


@keys_app.command()
def init(
    out: Path | None = typer.Option(None, "--out", help="Folder for the key pair (default: "
                                    "~/.config/jointsim, i.e. $XDG_CONFIG_HOME/jointsim, "
                                    "where the trainer and demo look for it)."),
) -> None:
    """Create the site's Ed25519 key pair: OUT/signing_key (private, mode 0600) and
    OUT/signing_key.pub (public). Existing keys are never overwritten.

    The trainer and 'jointsim demo' sign every log they finish with the private key found in
    $JOINTSIM_SIGNING_KEY, else ~/.config/jointsim/signing_key. Give assessors the .pub file:
    'jointsim assess --trust signing_key.pub' accepts only logs signed by it. Keep the
    private key on the training machines only: whoever holds it can sign edited logs.
    """
    from simulator.signing import create_keys, default_key_dir, fingerprint, load_signer

    private, public = create_keys(out if out is not None else default_key_dir())
    print(f"private key: {private} (keep it on the training machines; mode 0600)")
    print(f"public key:  {public} (give it to assessors: --trust {public})")
    print(f"fingerprint: {fingerprint(load_signer(private).public_raw)}")
