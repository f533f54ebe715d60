"""The educator's hub: ``jointsim serve``, a web dashboard over the results store.

Flask (with Jinja2, autoescaped) serves the pages; waitress runs it; accounts are local with
Argon2 password hashes. Import :func:`create_app` from here; the web modules are imported
only when it is called, so ``import scoring`` stays light.
"""

from __future__ import annotations


def create_app(store, **options):
    """The Flask application over ``store`` (:class:`scoring.store.Store`); ``options``:
    see :func:`scoring.hub.web.create_app`."""
    from scoring.hub.web import create_app as build

    return build(store, **options)
