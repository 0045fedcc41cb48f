"""The model registry: versioned, checksummed artifacts, aliases, model cards and API keys.

>>> from bizforge.registry import Registry
>>> reg = Registry()                         # doctest: +SKIP
>>> reg.publish(run, "churn").ref            # doctest: +SKIP
'churn:1'
>>> reg.promote("churn", 1, alias="production")   # doctest: +SKIP
>>> reg.load("churn", load_folder).predict(frame)   # doctest: +SKIP
"""

from bizforge.registry.keys import KeyInfo, create_key, list_keys, revoke_key, verify_key
from bizforge.registry.refs import DEFAULT_ALIAS, Ref, check_alias, check_name, parse_ref
from bizforge.registry.store import ModelVersion, Registry, publish

__all__ = [
    "DEFAULT_ALIAS",
    "KeyInfo",
    "ModelVersion",
    "Ref",
    "Registry",
    "check_alias",
    "check_name",
    "create_key",
    "list_keys",
    "parse_ref",
    "publish",
    "revoke_key",
    "verify_key",
]
