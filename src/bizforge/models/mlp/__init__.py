"""Neural backend: a torch MLP saved as safetensors + JSON (registered as "mlp")."""

from bizforge.models.mlp.model import MLPModel

__all__ = ["MLPModel"]
