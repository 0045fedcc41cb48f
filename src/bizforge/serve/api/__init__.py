"""The REST API: ``create_app()`` builds the FastAPI app served by ``bizforge serve``."""

from bizforge.serve.api.app import ServerOptions, create_app

__all__ = ["ServerOptions", "create_app"]
