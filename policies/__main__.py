"""Entry point the Pulumi CLI runs for ``--policy-pack policies``: build the pack, nothing else.

``PolicyPack(...)`` starts the analyzer gRPC server and blocks, so nothing may import this file.
The CLI runs this directory as a script; the repository root goes on ``sys.path`` so that the
``policies`` package imports as it does in tests and offline checks (the pack is self-contained:
it imports nothing from the engine or the components).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policies import (
    ALL_POLICIES,
    PACK_DESCRIPTION,
    PACK_ENFORCEMENT_LEVEL,
    PACK_NAME,
)

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=PACK_ENFORCEMENT_LEVEL,
    description=PACK_DESCRIPTION,
    provider="aws",
    tags=["aws", "kubernetes", "encryption", "tagging", "security"],
)
